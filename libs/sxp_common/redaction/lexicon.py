"""Words the redactor recognizes, in many languages: at-words, dot-words, TLDs, cues.

Every entry is written as people write it; the matchers fold each one with the same
normalize.fold() they apply to the text, so homoglyph and fullwidth spellings match too.
"""

from __future__ import annotations

from phonenumbers import SUPPORTED_REGIONS

# Words that stand for "@" (bare only where the word is not also an everyday word).
AT_WORDS_STRONG: tuple[str, ...] = (
    "arroba", "arobase", "arobace", "arrobas", "chiocciola", "chiocciolina", "klammeraffe",
    "apenstaartje", "apestaartje", "małpa", "malpa", "malpka", "собака", "собачка", "равлик",
    "zavináč", "zavinac", "kukac", "snabel-a", "snabela", "miukumauku", "παπάκι", "atmark",
    "アットマーク", "あっとまーく", "アット", "골뱅이", "앳", "艾特", "แอท", "at-sign", "at sign",
    "at-mark", "شطرودل", "آت", "ایت", "एट", "ऐट", "@-sign",
)
# Everyday words that also stand for "@" (English "at", French "chez", ...): they need a
# domain that is obfuscated too, a known mail provider, or an e-mail cue nearby.
AT_WORDS_WEAK: tuple[str, ...] = ("at", "chez", "ät", "эт")

# Words that stand for "." in a domain.
DOT_WORDS: tuple[str, ...] = (
    "dot", "dott", "punkt", "point", "ponto", "punto", "punt", "pont", "pto", "kropka",
    "tečka", "tecka", "bodka", "piste", "prik", "nokta", "titik", "точка", "тчк", "крапка",
    "τελεία", "τελεια", "ドット", "どっと", "点", "點", "점", "닷", "จุด", "ดอท", "ดอต",
    "نقطة", "دوت", "डॉट", "डाट", "बिंदु",
)

# Labels that are e-mail providers: "jane at gmail.com" is an address, "PM at Meta.com" not.
MAIL_PROVIDERS: frozenset[str] = frozenset(
    "gmail googlemail yahoo ymail rocketmail hotmail outlook live msn icloud me mac proton "
    "protonmail pm aol gmx web yandex ya mail inbox rambler bk list zoho hey fastmail tutanota "
    "tuta rediffmail naver daum hanmail kakao qq 163 126 sina sohu foxmail aliyun libero virgilio "
    "tiscali alice orange wanadoo free sfr laposte bluewin t-online freenet wp o2 onet interia "
    "seznam centrum uol bol terra ig globo hotmai gmai yahho".split()
)

# Generic TLDs people put in bios, plus every country code (from libphonenumber's regions).
_GENERIC_TLDS = (
    "com net org info biz edu gov mil int io co ai app dev me tv xyz online site store shop tech "
    "blog club live pro art design studio agency email cloud page link space world news media "
    "music cafe coffee photo photography fitness health life love fun games game gg team top "
    "vip win one global digital solutions services company group works today tips guru ninja "
    "rocks social chat network systems software academy school college education church "
    "london berlin paris tokyo nyc miami asia africa eu uk su ac cat moe lol wtf page blue "
    "pink red black green gold fashion beauty hair salon style clothing shoes jewelry "
    "restaurant pizza bar pub wine beer vegas realty homes house estate law legal consulting "
    "marketing events travel tours holiday film movie video studio band rocks audio radio "
    "capital money finance bank fund email mobi name jobs careers work plus ltd llc inc"
).split()
TLDS: frozenset[str] = frozenset(_GENERIC_TLDS) | frozenset(r.lower() for r in SUPPORTED_REGIONS)

# Cues that the text nearby is an e-mail address (relaxes "name at site.com").
EMAIL_CUES: tuple[str, ...] = (
    "email", "e-mail", "mail", "mails", "correo", "courriel", "contato", "contacto", "kontakt",
    "почта", "почту", "메일", "이메일", "メール", "邮箱", "郵箱", "邮件", "อีเมล", "البريد",
    "ईमेल", "eposta", "e-posta", "surel", "posel",
    "\U0001f4e7", "\u2709", "\U0001f4e8", "\U0001f4e9", "\U0001f48c", "\U0001f4ec", "\U0001f4ed",
    "\U0001f4eb", "\U0001f4ea",
)

# Cues that a digit run nearby is a phone or messenger number.
PHONE_CUE_WORDS: tuple[str, ...] = (
    "tel", "tél", "tlf", "tlp", "telp", "telf", "tfno", "phone", "ph", "phn", "call", "calls",
    "text", "sms", "mob", "mobile", "mobil", "cell", "cel", "celular", "cellulare", "móvil",
    "movil", "handy", "dial", "hotline", "helpline", "booking", "bookings", "contact", "contato",
    "contacto", "kontakt", "whatsapp", "whats app", "whatsap", "watsapp", "wa", "whts", "wtsp",
    "wsp", "wpp", "zap", "zapzap", "telegram", "tg", "signal", "viber", "imessage", "line",
    "wechat", "kakao", "qq", "ligue", "liga", "ligar", "llama", "llámame", "llamar", "appel",
    "appelez", "appelle", "chiama", "chiamami", "ruf", "anrufen", "bel", "bellen", "zadzwoń",
    "dzwoń", "telefon", "telefone", "telefono", "teléfono", "telefoon", "téléphone",
    "nomor", "hp", "no hp", "no wa",
    "missed call", "misscall", "orçamento", "orçamentos", "pedidos", "reservas",
    "телефон", "тел", "моб", "звоните", "звонить", "вайбер", "ватсап", "телеграм",
    "هاتف", "جوال", "واتساب", "واتس", "اتصل", "فون", "फोन", "फ़ोन", "मोबाइल", "संपर्क", "कॉल",
    "電話", "电话", "携帯", "手机", "手機", "微信", "联系", "聯絡", "전화", "연락처", "핸드폰",
    "휴대폰", "카톡", "โทร", "เบอร์", "ติดต่อ", "ไลน์", "arayın", "iletişim", "hubungi",
)
PHONE_CUE_SYMBOLS = "\u260e\u260f\u2706\U0001f4de\U0001f4f1\U0001f4f2\U0001f4df\U0001f4e0\U0001f919"

# Words after a digit run that make it a phone ("0764200122 whatsapp", "… Whts").
PHONE_CUE_AFTER: tuple[str, ...] = (
    "whatsapp", "whats", "whts", "wa", "wpp", "wsp", "zap", "telegram", "tg", "signal",
    "viber", "call", "calls", "text", "sms", "tel", "phone", "mobile", "cell",
)

# Words before a digit run that make it an identifier, never a phone ("ID:188260368").
ID_CUES: tuple[str, ...] = (
    "id", "uid", "ff", "ign", "pubg", "ml", "mlbb", "game", "gamer", "code", "codigo", "código",
    "order", "invoice", "isbn", "issn", "ean", "upc", "sku", "ref", "iban", "account", "acct",
    "nip", "nik", "cpf", "cnpj", "pin", "otp", "tx", "txid", "serial", "imei", "vin", "ticket",
    "friend code", "player", "server", "lobby", "room", "steam", "psn", "xbox", "reg",
    "registration", "license", "licence", "lic", "kvk", "siret", "siren", "vat", "tax", "btw",
    "regon", "krs", "inn", "ogrn", "abn", "gst", "gstin", "crm", "oab", "cref", "creci", "coren",
    "ein", "ssn", "nif", "cif", "rfc", "curp", "dni", "rut", "nit", "ruc", "npwp", "mst",
)

# Local parts that are everyday words: "meet me at site.com" is no address.
WEAK_LOCAL_STOPWORDS: frozenset[str] = frozenset(
    "me us you him her them it we i they work home here there now live based found founder "
    "she's he's i'm we're they're you're it's meet see look stay be is are was were am been get "
    "go come find join visit shop buy order available also only just still "
    "engineer chef dev developer pm ceo cto cfo coo intern student teacher manager director "
    "designer writer editor lead head staff member partner host speaker artist "
    "phd mba msc bsc md dr prof professor researcher postdoc fellow alum alumni grad "
    "moi toi lui nous vous eux elle".split()
)
# "-ing" words that are mailbox names ("booking at studio dot com"), not verbs of the sentence.
MAILBOX_WORDS: frozenset[str] = frozenset(
    "booking marketing casting billing shipping shopping training consulting recruiting "
    "licensing coaching catering printing hosting mailing ticketing publishing".split()
)

"""Non-English vocabulary and phone formats for the synthetic profile generator: data only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Language:
    """A non-English bio language: its share of rows, people, places and phrases."""

    code: str
    weight: float
    regions: tuple[str, ...]
    cities: tuple[str, ...]
    first: tuple[str, ...]
    last: tuple[str, ...]
    phrases: dict[str, tuple[str, ...]]
    generic: tuple[str, ...]
    email_labels: tuple[str, ...]
    phone_labels: tuple[str, ...]


def _lang(code: str, weight: float, regions: str, cities: str, first: str, last: str,
          phrases: str, generic: str, email_labels: str, phone_labels: str) -> Language:
    """Build a Language; phrases are "persona=a~b;persona=c~d", other lists "|"-separated."""
    pairs = (p.split("=", 1) for p in phrases.split(";"))
    table = {k.strip(): tuple(v.split("~")) for k, v in pairs}
    return Language(code, weight, tuple(regions.split("|")), tuple(cities.split("|")),
                    tuple(first.split("|")), tuple(last.split("|")), table,
                    tuple(generic.split("|")), tuple(email_labels.split("|")),
                    tuple(phone_labels.split("|")))


# Weights sum to 0.15: the share of non-English rows. Names "display:ascii" give the handle form.
LANGUAGES: tuple[Language, ...] = (
    _lang("es", 0.035, "ES|MX",
          "Madrid|Barcelona|Sevilla|Valencia|Ciudad de México|Guadalajara|Monterrey|Bogotá",
          "Lucía|Mateo|Sofía|Diego|Valentina|Javier|Camila|Alejandro|Martina|Carlos",
          "García|López|Fernández|Ruiz|Hernández|Torres|Morales",
          "founder=Fundadora de {org} 🚀~Emprendedor serial, construyendo {org}"
          ";realtor=Asesora inmobiliaria en {city} 🏡~Te ayudo a encontrar tu hogar ideal"
          ";fitness=Entrenador personal 💪~Rutinas en casa y nutrición sin dietas raras"
          ";food=Recetas fáciles para toda la familia 🍲~Cocinera de corazón: tapas y postres"
          ";travel=Viajando por el mundo con mochila 🎒~{n} países y contando"
          ";beauty=Maquilladora profesional 💄~Skincare para piel sensible"
          ";teacher=Maestra de primaria 🍎~Recursos educativos gratis;musician=Cantautor 🎸"
          "~Nuevo sencillo ya disponible"
          ";nurse=Enfermera de UCI 🩺~Turnos de noche y mucho café;parent=Mamá de {n} 👶"
          "~Crianza respetuosa y caos diario"
          ";shop=Panadería artesanal desde {est} 🥐~Pan de masa madre cada mañana"
          ";gaming=Streamer de videojuegos 🎮~Directos todas las noches",
          "Colaboraciones por DM|Nuevo video cada semana|Sígueme para más|Hecho con amor en {city}"
          "|Orgullosamente latina 💛",
          "Contacto: |📩 |Colabs: ",
          "WhatsApp |Tel. |📞 "),
    _lang("pt", 0.025, "BR",
          "São Paulo|Rio de Janeiro|Belo Horizonte|Curitiba|Salvador|Recife|Porto Alegre|Fortaleza",
          "Ana|João|Beatriz|Pedro|Larissa|Gabriel|Juliana|Rafael|Mariana|Lucas",
          "Silva|Santos|Oliveira|Souza|Costa|Pereira|Almeida",
          "founder=Fundadora da {org} 🚀~Empreendedor e investidor anjo"
          ";realtor=Corretora de imóveis em {city} 🏡~CRECI ativo · imóveis de alto padrão"
          ";fitness=Personal trainer 💪~Treinos em casa e dieta flexível"
          ";food=Receitas práticas pro dia a dia 🍰~Confeiteira apaixonada por bolo de pote"
          ";beauty=Maquiadora profissional 💄~Cabelos cacheados e crespos"
          ";gaming=Streamer de Free Fire 🎮~Lives todo dia às 20h"
          ";teacher=Professora de português 📚~Dicas para o ENEM;musician=Cantor e compositor 🎤"
          "~Sertanejo raiz"
          ";nurse=Enfermeira 🩺~Plantões e muito amor pela profissão"
          ";shop=Loja de roupas femininas 🛍️~Enviamos para todo o Brasil"
          ";parent=Mãe de {n} 💛~Maternidade real, sem filtro",
          "Parcerias via direct|Vídeo novo toda semana|Me segue pra mais"
          "|Feito com carinho em {city}|Deus é fiel 🙏",
          "Contato: |📩 |Parcerias: ",
          "WhatsApp |Zap: |📲 "),
    _lang("fr", 0.02, "FR",
          "Paris|Lyon|Marseille|Bordeaux|Lille|Nantes|Toulouse|Montpellier",
          "Camille|Louis|Chloé|Hugo|Léa|Arthur|Manon|Jules|Inès|Théo",
          "Martin|Bernard|Dubois|Laurent|Moreau|Lefebvre|Girard",
          "founder=Fondatrice de {org} 🚀~Entrepreneur, ex-{bigco}"
          ";realtor=Agent immobilier à {city} 🏡~Vente et location de prestige"
          ";fitness=Coach sportif 💪~Programmes en ligne et nutrition"
          ";food=Recettes faciles et gourmandes 🥐~Pâtissière autodidacte"
          ";travel=Voyageuse à plein temps ✈️~Carnets de route et bons plans"
          ";beauty=Maquilleuse professionnelle 💄~Soins naturels, routine minimaliste"
          ";teacher=Professeure des écoles 🍎~Ressources pour la classe"
          ";musician=Auteur-compositeur-interprète 🎹~Nouveau single disponible"
          ";artist=Illustratrice 🎨~Commandes ouvertes",
          "Collabs en DM|Nouvelle vidéo chaque semaine|Abonne-toi pour la suite|Basée à {city}"
          "|Café, livres et pluie ☔",
          "Pro : |📩 |Contact : ",
          "Tél : |WhatsApp |📞 "),
    _lang("de", 0.02, "DE",
          "Berlin|München|Hamburg|Köln|Frankfurt|Stuttgart|Leipzig|Düsseldorf",
          "Lena|Paul|Mia|Felix|Hannah|Jonas|Lea|Maximilian|Emilia|Leon",
          "Müller|Schmidt|Schneider|Fischer|Weber|Wagner|Becker",
          "founder=Gründerin von {org} 🚀~Unternehmer, Startups und Produkt"
          ";realtor=Immobilienmakler in {city} 🏡~Ihr Partner für Kauf und Verkauf"
          ";fitness=Personal Trainer 💪~Online-Coaching und Ernährung"
          ";food=Einfache Rezepte für jeden Tag 🍲~Hobbybäckerin mit Sauerteig-Liebe"
          ";cars=Autoliebhaber 🏎️~Projektauto: {car};developer=Softwareentwickler 💻"
          "~Rust, Go und zu viel Kaffee"
          ";teacher=Grundschullehrerin 🍎~Unterrichtsideen und Material;garden=Hobbygärtner 🌱"
          "~Gemüse vom Balkon"
          ";shop=Bäckerei seit {est} 🥨~Täglich frisch aus dem Ofen",
          "Kooperationen per DM|Jeden Sonntag ein neues Video|Folgt mir für mehr"
          "|Aus {city} mit Liebe|Kaffee zuerst ☕",
          "Anfragen: |📩 |Kontakt: ",
          "Tel.: |WhatsApp |☎️ "),
    _lang("hi", 0.01, "IN",
          "Mumbai|Delhi|Bengaluru|Jaipur|Lucknow|Pune|Hyderabad|Indore",
          "Priya|Rahul|Ananya|Arjun|Sneha|Rohan|Kavya|Aditya|Pooja|Vikram",
          "Sharma|Verma|Gupta|Iyer|Reddy|Joshi|Mehta",
          "fitness=Fitness coach 💪 desi diet, asli results~Gym jaana hai, bahana nahi"
          ";food=Ghar ka khana, asaan recipes 🍛~Street food lover from {city}"
          ";teacher=Maths teacher 📚 board exam tips~Padhai + motivation daily"
          ";student=UPSC aspirant 📖~Engineering student, IIT dreams"
          ";beauty=Makeup artist 💄 bridal bookings open~Skincare in budget"
          ";developer=Software engineer at {bigco} 💻~Coding sikho Hindi mein"
          ";musician=Singer 🎤 Bollywood covers~Music producer, beats daily"
          ";finance=Stock market sikho 📈~Paisa bachao, invest karo",
          "Collab ke liye DM karein|Roz naya video|Follow karo for more|{city} se pyaar ❤️"
          "|Jai Hind 🇮🇳",
          "Business: |📩 |Collab: ",
          "WhatsApp |Call: |📞 "),
    _lang("hi-Deva", 0.01, "IN",
          "दिल्ली|मुंबई|जयपुर|लखनऊ|वाराणसी|पटना|भोपाल",
          "प्रिया:priya|राहुल:rahul|अनन्या:ananya|अर्जुन:arjun|स्नेहा:sneha|रोहन:rohan",
          "शर्मा:sharma|वर्मा:verma|गुप्ता:gupta|मिश्रा:mishra",
          "fitness=फिटनेस कोच 💪~घर पर वर्कआउट और सही डाइट;food=घर का खाना, आसान रेसिपी 🍛"
          "~माँ के हाथ का स्वाद"
          ";teacher=गणित शिक्षक 📚~बोर्ड परीक्षा की तैयारी;student=UPSC की तैयारी 📖"
          "~सपनों की ओर एक कदम"
          ";musician=गायक 🎤~भजन और ग़ज़ल;parent=दो बच्चों की माँ 👶~परिवार और परवरिश"
          ";shop=साड़ी की दुकान 🛍️~पूरे भारत में डिलीवरी",
          "रोज़ नया वीडियो|फॉलो करें|{city} से ❤️|सहयोग के लिए DM करें",
          "ईमेल: |📩 ",
          "संपर्क: |व्हाट्सएप: |📞 "),
    _lang("id", 0.012, "ID",
          "Jakarta|Bandung|Surabaya|Yogyakarta|Medan|Denpasar|Makassar|Semarang",
          "Putri|Budi|Siti|Agus|Dewi|Rizky|Ayu|Fajar|Nadia|Dimas",
          "Pratama|Saputra|Wijaya|Santoso|Lestari|Nugroho|Hidayat",
          "food=Resep masakan rumahan 🍳~Jualan kue kering, PO dibuka;beauty=Beauty enthusiast 💄"
          "~Review skincare lokal jujur"
          ";fitness=Pelatih kebugaran 💪~Olahraga di rumah tanpa alat;shop=Toko online hijab 🛍️"
          "~Kirim ke seluruh Indonesia"
          ";gaming=Gamer Mobile Legends 🎮~Live setiap malam;teacher=Guru SD 🍎"
          "~Ide belajar seru untuk anak"
          ";travel=Jalan-jalan hemat ✈️~Cerita dari {n} provinsi",
          "Kerja sama via DM|Video baru tiap minggu|Follow untuk lebih banyak"
          "|Dari {city} dengan cinta|Bismillah 🤲",
          "Kontak: |📩 |Endorse: ",
          "WA |Order via WA |📲 "),
    _lang("ja", 0.01, "JP",
          "東京|大阪|京都|福岡|札幌|横浜|名古屋",
          "さくら:sakura|ゆい:yui|はると:haruto|りく:riku|あおい:aoi|ひな:hina|そうた:sota",
          "佐藤:sato|鈴木:suzuki|高橋:takahashi|田中:tanaka|伊藤:ito",
          "food=料理研究家🍳~簡単おうちごはんレシピ;beauty=美容オタク💄~プチプラコスメを正直レビュー;gaming=ゲーム実況者🎮~毎週{n}回配信"
          ";artist=イラストレーター🎨~お仕事募集中;fitness=パーソナルトレーナー💪~自宅でできる筋トレ;pet=柴犬の{pet}です🐕~毎日のお散歩記録"
          ";developer=エンジニア💻~Python と Rust が好き;shop={city}のパン屋🥐~毎朝8時オープン",
          "お仕事のご依頼はDMへ|毎日投稿|フォローお気軽に|{city}在住",
          "お仕事: |📩 |連絡先: ",
          "TEL |☎️ |📞 "),
    _lang("it", 0.008, "IT",
          "Milano|Roma|Napoli|Torino|Firenze|Bologna|Palermo",
          "Giulia|Marco|Chiara|Luca|Francesca|Matteo|Sara|Alessandro",
          "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo",
          "food=Ricette della nonna 🍝~Pasta fresca fatta in casa;fashion=Fashion blogger 👗"
          "~Outfit e stile da {city}"
          ";fitness=Personal trainer 💪~Allenamenti a casa;travel=Viaggiatrice ✈️"
          "~Alla scoperta dei borghi d'Italia"
          ";musician=Cantautore 🎸~Nuovo singolo fuori ora",
          "Collaborazioni in DM|Nuovo video ogni settimana|Seguimi per altro|Da {city} con amore",
          "Contatti: |📩 |Collab: ",
          "WhatsApp |Tel. |📞 "),
)

# Phone formats per country: "#" any digit, "X" 2-9. (international forms, local forms)
PHONE_FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    k: (tuple(a.split("|")), tuple(b.split("|"))) for k, (a, b) in {
        "US": ("+1 {area} X##-####|+1 ({area}) X##-####|+1.{area}.X##.####",
               "({area}) X##-####|{area}-X##-####|{area}.X##.####|{area} X## ####"),
        "CA": ("+1 {area_ca} X##-####|+1 ({area_ca}) X##-####",
               "({area_ca}) X##-####|{area_ca}-X##-####"),
        "GB": ("+44 7911 ######|+44 7700 9#####|+44 20 7### ####",
               "07911 ######|07### ######|020 7### ####"),
        "DE": ("+49 176 ########|+49 151 #######|+49 30 #######",
               "0176 ########|0151 #######|030 #######"),
        "FR": ("+33 6 ## ## ## ##|+33 7 ## ## ## ##",
               "06 ## ## ## ##|07.##.##.##.##"),
        "ES": ("+34 6## ### ###",
               "6## ### ###|6## ## ## ##"),
        "IT": ("+39 3## ### ####",
               "3## ### ####|3## #######"),
        "BR": ("+55 11 9####-####|+55 21 9####-####",
               "(11) 9####-####|(21) 9####-####|11 9#### ####"),
        "MX": ("+52 55 #### ####|+52 1 33 #### ####",
               "55 #### ####|33 #### ####"),
        "NG": ("+234 803 ### ####|+234 806 ### ####",
               "0803 ### ####|0806 ### ####|0812 ### ####"),
        "ZA": ("+27 82 ### ####|+27 71 ### ####",
               "082 ### ####|071 ### ####"),
        "PH": ("+63 917 ### ####|+63 998 ### ####",
               "0917 ### ####|0998 ### ####|0917-###-####"),
        "ID": ("+62 812-####-####|+62 813 #### ####",
               "0812-####-####|0813 #### ####|0857########"),
        "AE": ("+971 50 ### ####|+971 55 ### ####",
               "050 ### ####|055 ### ####"),
        "AU": ("+61 4## ### ###|+61 2 #### ####",
               "04## ### ###|(02) #### ####"),
        "IN": ("+91 9#### #####|+91 8#### #####",
               "9#### #####|98###-#####|8##########"),
        "JP": ("+81 90-####-####|+81 80-####-####",
               "090-####-####|080-####-####"),
    }.items()
}
US_AREAS = ("212", "213", "305", "312", "404", "415", "512", "617", "646", "702", "713", "718",
            "737",
               "206",
               "303",
               "615",
               "503",
               "602",
               "214",
               "469")
CA_AREAS = ("416", "604", "647", "514", "403", "613", "778")

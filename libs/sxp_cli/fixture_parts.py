"""Row parts for the synthetic profile generator: names, handles, bios, contact, counts, URLs.

Pure given the RowGen's seeded RNG; sxp_cli.fixtures assembles rows from these.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sxp_cli.fixture_langs import CA_AREAS, PHONE_FORMATS, US_AREAS, Language
from sxp_cli.fixture_vocab import (
    CITY_REGION,
    CTAS,
    EN_CITIES,
    EN_FIRST,
    EN_LAST,
    HANDLE_WORDS,
    PERSONAS,
    POOLS,
    SEPARATORS,
    Persona,
)

PLATFORMS: tuple[str, ...] = ("tiktok", "threads", "x")
_PERSONA_BY_KEY = {p.key: p for p in PERSONAS}
_PLATFORM_BOOST = {
    "x": {"journalist": 4, "news": 4, "developer": 4, "ai": 4, "crypto": 4, "politician": 3,
          "founder": 3, "saas": 3, "finance": 2, "author": 2},
    "tiktok": {"beauty": 3, "food": 3, "fitness": 3, "gaming": 3, "pet": 3, "comedy": 3,
               "parent": 2, "fashion": 3, "cars": 2, "nurse": 2, "teacher": 2, "student": 2},
    "threads": {"fashion": 2, "travel": 2, "photographer": 2, "artist": 2, "shop": 2, "food": 2},
}
_RARE = frozenset({"politician", "church", "news", "nonprofit", "doctor", "saas", "agency"})
# (low, high, share, verified probability): nano to mega, log-uniform inside a tier.
_TIERS = ((5, 1_000, 0.28, 0.002), (1_000, 10_000, 0.30, 0.01), (10_000, 100_000, 0.24, 0.05),
          (100_000, 1_000_000, 0.12, 0.2), (1_000_000, 10_000_000, 0.05, 0.55),
          (10_000_000, 300_000_000, 0.01, 0.85))
_ROLE_TEMPLATES = ("{role}", "{role} in {city}", "{role} · {topic}", "{emoji} {role}",
                   "{role} based in {city}", "{role} | {topic} + {topic2}", "{role} {emoji}")
_TOPIC_TEMPLATES = ("{Topic2} • {topic3} • {topic}", "Talking {topic2} & {topic3}",
                    "{Topic2} tips", "All things {topic2}", "Posts about {topic2} and {topic3}",
                    "{Topic2} + {topic3}", "Here for {topic2}", "{Topic2}, {topic3} and {topic}",
                    "{topic2} / {topic3}")
_EN_EMAIL_LABELS = ("📧 ", "biz: ", "Collabs → ", "Bookings: ", "contact: ", "✉️ ", "PR: ", "")
_EN_PHONE_LABELS = ("📞 ", "Call/Text ", "Tel: ", "☎️ ", "Book: ", "Call me ", "")
_MESSENGER_LABELS = ("WhatsApp: ", "WA ", "Telegram: ", "DM on telegram ", "Signal: ", "Viber ",
                     "📲 WhatsApp ")
_PROVIDERS = {"en": "gmail.com|yahoo.com|outlook.com|icloud.com|hotmail.co.uk|proton.me|aol.com",
              "es": "gmail.com|hotmail.es|yahoo.es|outlook.es",
              "pt": "gmail.com|yahoo.com.br|uol.com.br",
              "fr": "gmail.com|orange.fr|free.fr", "de": "gmail.com|gmx.de|web.de|t-online.de",
              "hi": "gmail.com|yahoo.in|rediffmail.com", "id": "gmail.com|yahoo.co.id",
              "ja": "gmail.com|yahoo.co.jp|icloud.com", "it": "gmail.com|libero.it|hotmail.it"}
_NUMBERS = {"n": (2, 12), "year": (2010, 2023), "est": (1952, 2021), "soon": (2026, 2027),
            "yy": (26, 30)}
_K_VALUES = ("500+", "1,000+", "2k+", "10k+", "50,000+", "1M+", "12k", "3,500", "250k")
_DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


class Slots(dict[str, str]):
    """Template slots: fixed row values first, else a fresh pick (slot2 differs from slot)."""

    def __init__(self, rng: random.Random, fixed: dict[str, str],
                 pools: dict[str, Sequence[str]]) -> None:
        super().__init__(fixed)
        self._rng, self._pools = rng, pools

    def __missing__(self, key: str) -> str:
        rng = self._rng
        if key[:1].isupper():
            lower = self[key[:1].lower() + key[1:]]
            value = lower[:1].upper() + lower[1:]
        elif key in _NUMBERS:
            low, high = _NUMBERS[key]
            value = str(rng.randint(low, high))
        elif key == "k":
            value = rng.choice(_K_VALUES)
        elif key[-1].isdigit():
            base = key[:-1]
            taken = {self[base]} | {self.get(f"{base}{i}") for i in range(2, int(key[-1]))}
            pool = [v for v in self._pools.get(base) or POOLS[base] if v not in taken]
            value = rng.choice(pool or [self[base]])
        else:
            value = rng.choice(self._pools.get(key) or POOLS[key])
        self[key] = value
        return value


def ascii_fold(text: str) -> str:
    """Lowercase ASCII letters and digits only (accents folded away)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def split_name(name: str) -> tuple[str, str]:
    """A vocabulary name "display:ascii" (or plain) as (display, ascii handle form)."""
    display, _, ascii_form = name.partition(":")
    return display, ascii_form or ascii_fold(display)


def fit_handle(raw: str, platform: str) -> str:
    """Make a handle obey the platform's rules (charset, length, dots)."""
    handle = re.sub(r"[^a-z0-9_.]", "", raw.lower())
    if platform == "x":
        return handle.replace(".", "_")[:15] or "user"
    handle = re.sub(r"\.{2,}", ".", handle)
    limit = 24 if platform == "tiktok" else 30
    handle = handle[:limit].strip(".")
    return handle if len(handle) >= 2 else handle + "00"


RANDOM_SUFFIX_TRIES = 20


class RowGen:
    """Generator state: the seeded RNG, handles already used per platform, the time base."""

    def __init__(self, seed: int, collected_before: datetime) -> None:
        self.rng = random.Random(seed)
        self.used: dict[str, set[str]] = {p: set() for p in PLATFORMS}
        self.base = collected_before

    def handle(self, platform: str, ctx: dict[str, str], persona: Persona | None) -> str:
        """A realistic handle, unique on its platform."""
        rng = self.rng
        w = HANDLE_WORDS.get(persona.key, "") if persona else ""
        f, ln, c = ctx["f"], ctx["l"], ascii_fold(ctx["city"].split(",")[0])[:10]
        o = ascii_fold(ctx.get("display") or ctx["org"])
        if persona and persona.is_org:
            options = [o, f"{o}hq", f"{o}official", f"{o}.{c}", f"{o}_{w}", f"get{o}", f"{o}co",
                       f"{c}{w}", f"the{o}{w}"]
        else:
            options = [f"{f}{ln}", f"{f}.{ln}", f"{f}_{ln}", f"{f}{ln}{rng.randint(1, 99)}",
                       f"the{f}{ln}", f"{f}_{ln}_", f"its{f}{ln}", f"{f}.{c}", f"{f}{ln[:1]}",
                       f"{f}in{c}", f"real{f}{ln}"]
            if w:
                options += [f"{f}{w}", f"{f}.{w}", f"{w}with{f}", f"{f}_{w}", f"{w}by{f}"]
        handle = self.unique(fit_handle(rng.choice(options), platform), platform)
        self.used[platform].add(handle)
        return handle

    def unique(self, handle: str, platform: str) -> str:
        """The handle, or a numbered variant of it no earlier row took. A few random two-digit
        endings first; then a counter, which always ends: at a million rows the two-digit
        endings of a common 13-letter X handle are all taken and random tries never stop."""
        used, room = self.used[platform], 13 if platform == "x" else 22
        for _ in range(RANDOM_SUFFIX_TRIES):
            if handle not in used:
                return handle
            handle = fit_handle(handle[:room] + str(self.rng.randint(0, 99)), platform)
        number, limit = len(used), 15 if platform == "x" else room + 2
        while handle in used:
            suffix = str(number)
            handle = fit_handle(handle[:limit - len(suffix)] + suffix, platform)
            number += 1
        return handle

    def timestamp(self) -> str:
        """collected_at within 120 days before the base, in one of a few ISO 8601 spellings."""
        rng = self.rng
        moment = self.base - timedelta(seconds=rng.randint(0, 120 * 86_400))
        style = rng.random()
        if style < 0.8:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style < 0.9:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randint(0, 999):03d}Z"
        return moment.isoformat(timespec="seconds")


def pick_persona(rng: random.Random, platform: str, keys: Sequence[str] | None) -> Persona:
    """A persona weighted by how common it is on the platform (optionally among keys)."""
    pool = [_PERSONA_BY_KEY[k] for k in keys] if keys else list(PERSONAS)
    boost = _PLATFORM_BOOST[platform]
    weights = [boost.get(p.key, 1) * (0.4 if p.key in _RARE else 1.0) for p in pool]
    return rng.choices(pool, weights)[0]


def row_context(gen: RowGen, lang: Language | None) -> dict[str, str]:
    """Names, place and organization for one row."""
    rng = gen.rng
    first, f = split_name(rng.choice(lang.first if lang else EN_FIRST))
    last, ln = split_name(rng.choice(lang.last if lang else EN_LAST))
    org = rng.choice(POOLS["org_a"]) + (rng.choice(POOLS["org_b"]) if rng.random() < 0.5 else "")
    city = rng.choice(lang.cities if lang else EN_CITIES)
    return {"first": first, "last": last, "f": f, "l": ln, "org": org, "city": city}


def slots_for(gen: RowGen, ctx: dict[str, str], persona: Persona, lang: Language | None) -> Slots:
    """Template slots for one row."""
    rng = gen.rng
    pools: dict[str, Sequence[str]] = {"topic": persona.topics, "emoji": persona.emoji,
                                       "city": lang.cities if lang else EN_CITIES}
    fixed = {k: ctx[k] for k in ("first", "last", "org", "city")}
    fixed["topic"] = rng.choice(persona.topics)
    fixed["emoji"] = rng.choice(persona.emoji)
    return Slots(rng, fixed, pools)


def _fit(segments: list[str], keep: int, limit: int, sep: str) -> str:
    """Join segments, dropping optional ones (index >= keep) from the end to respect limit."""
    while len(sep.join(segments)) > limit and len(segments) > keep:
        segments.pop()
    return sep.join(segments)


def make_bio(gen: RowGen, persona: Persona, slots: Slots, lang: Language | None,
         contact: str | None, limit: int) -> str:
    """A bio: who they are and what about, in English or the row's language."""
    rng = gen.rng
    fill = lambda t: t.format_map(slots)  # noqa: E731
    if lang is None:
        core = [rng.choice(_ROLE_TEMPLATES if not persona.is_org else _ROLE_TEMPLATES[:3])
                .replace("{role}", rng.choice(persona.roles))]
        extra = [rng.choice(_TOPIC_TEMPLATES), *rng.sample(persona.lines, 2), rng.choice(CTAS)]
        odds = (0.6, 0.75, 0.25, 0.35)
        extra = [e for e, p in zip(extra, odds, strict=True) if rng.random() < p]
    else:
        phrases = lang.phrases[persona.key]
        core = [phrases[0]]
        extra = [phrases[1]] if rng.random() < 0.75 else []
        extra += [rng.choice(lang.generic)] if rng.random() < 0.5 else []
    if rng.random() < (0.35 if lang is None else 0.55):
        extra.append(" ".join(rng.sample(persona.tags, rng.randint(1, 2))))
    segments = [fill(t) for t in core + extra]
    sep = rng.choice(SEPARATORS)
    if contact is None:
        return _fit(segments, 1, limit, sep)
    spot = 1 if rng.random() < 0.25 else len(segments)
    segments.insert(spot, contact)
    if spot == 1:
        return _fit(segments, 2, limit, sep)
    body = _fit(segments[:-1], 1, max(limit - len(contact) - len(sep), 0), sep)
    return body + sep + contact


def make_phone(rng: random.Random, region: str, international: bool) -> str:
    """A phone number in a real national or international format for region."""
    template = rng.choice(PHONE_FORMATS[region][0 if international else 1])
    template = template.replace("{area}", rng.choice(US_AREAS))
    template = template.replace("{area_ca}", rng.choice(CA_AREAS))
    return "".join(str(rng.randint(2, 9)) if ch == "X" else str(rng.randint(0, 9)) if ch == "#"
                   else ch for ch in template)


def make_email(rng: random.Random, ctx: dict[str, str], handle: str, lang_code: str) -> str:
    """A plausible email address for the row's person or organization."""
    f, ln, o = ctx["f"], ctx["l"], ascii_fold(ctx["org"])
    local = rng.choice([f"{f}.{ln}", f"{f}{ln}", f"{f}{rng.randint(1, 99)}", "hello", "bookings",
                        "collabs", "info", "team", handle.replace(".", "_"), f"{f}.{ln[:1]}"])
    providers = _PROVIDERS[lang_code.split("-")[0]].split("|")
    own = f"{rng.choice([o, f + ln])}.{rng.choice(['com', 'co', 'io', 'studio', 'co.uk'])}"
    return f"{local}@{rng.choice(providers + [own])}"


def obfuscate_email(rng: random.Random, email: str) -> str:
    """The address written the way people hide it from scrapers."""
    local, domain = email.split("@")
    labels = domain.split(".")
    form = rng.randrange(6)
    if form == 0:
        return f"{local} [at] {' [dot] '.join(labels)}"
    if form == 1:
        return f"{local}(at){'(dot)'.join(labels)}"
    if form == 2:
        return f"{local} at {' dot '.join(labels)}"
    if form == 3:
        return f"{local} @ {' . '.join(labels)}"
    if form == 4:
        return f"{local} [at] {domain}"
    return f"{local} AT {' DOT '.join(x.upper() for x in labels)}"


def contact_snippet(gen: RowGen, ctx: dict[str, str], handle: str, lang: Language | None) -> str:
    """One contact snippet for a bio: an email, phone, messenger number or link."""
    rng = gen.rng
    region = rng.choice(lang.regions) if lang else CITY_REGION.get(ctx["city"], "US")
    code = lang.code if lang else "en"
    email = make_email(rng, ctx, handle, code)
    intl = make_phone(rng, region, True)
    digits = re.sub(r"\D", "", intl)
    local = make_phone(rng, region, rng.random() < 0.4)
    if code == "hi-Deva" and rng.random() < 0.4:
        local = local.translate(_DEVANAGARI)
    email_label = rng.choice(lang.email_labels if lang else _EN_EMAIL_LABELS)
    phone_label = rng.choice(lang.phone_labels if lang else _EN_PHONE_LABELS)
    form = rng.choices(range(6), (0.30, 0.15, 0.30, 0.12, 0.08, 0.05))[0]
    return [
        f"{email_label}{email}",
        f"{email_label}{obfuscate_email(rng, email)}",
        f"{phone_label}{local}",
        f"{rng.choice(_MESSENGER_LABELS)}{intl}",
        rng.choice([f"wa.me/{digits}", f"https://wa.me/{digits}?text=hi", f"t.me/+{digits}",
                    f"api.whatsapp.com/send?phone={digits}", f"https://t.me/+{digits}"]),
        rng.choice([f"tel:+{digits}", f"mailto:{email}"]),
    ][form]


def make_counts(rng: random.Random, persona: Persona | None, platform: str) -> dict[str, Any]:
    """followers/following/posts from long-tailed distributions, and verified."""
    tier = rng.choices(range(len(_TIERS)), [t[2] for t in _TIERS])[0]
    if persona and persona.is_org and rng.random() < 0.35:
        tier = min(tier + 1, len(_TIERS) - 1)
    low, high, _, p_verified = _TIERS[tier]
    followers = int(math.exp(rng.uniform(math.log(low), math.log(high))))
    following = int(rng.lognormvariate(math.log(350), 1.1)) if tier < 4 else rng.randint(0, 900)
    median, sigma = {"tiktok": (120, 1.2), "threads": (60, 1.3), "x": (2500, 1.5)}[platform]
    posts = min(int(rng.lognormvariate(math.log(median), sigma)), 600_000)
    verified = rng.random() < p_verified + (0.05 if platform == "x" else 0)
    return {"followers": followers,
            "following": None if rng.random() < 0.05 else min(following, 7500),
            "posts": None if rng.random() < 0.05 else posts, "verified": verified}


def external_url_for(rng: random.Random, persona: Persona, ctx: dict[str, str], handle: str) -> str:
    """A link-in-bio URL of a kind this persona would use."""
    slug = ascii_fold(ctx["org"] if persona.is_org else ctx["f"] + ctx["l"])
    h = handle.replace(".", "").replace("_", "")
    tlds = ["org"] if persona.key in ("church", "nonprofit") else ["com", "io", "co", "com"]
    tld = rng.choice(tlds)
    urls = {"site": f"https://www.{slug}.{tld}", "substack": f"https://{h}.substack.com",
            "linktree": f"https://linktr.ee/{handle}", "stan": f"https://stan.store/{h}",
            "shop": rng.choice([f"https://{slug}.myshopify.com", f"https://shop.{slug}.com"]),
            "etsy": f"https://www.etsy.com/shop/{slug.title()}",
            "calendly": f"https://calendly.com/{slug}/intro",
            "zillow": f"https://www.zillow.com/profile/{h}", "twitch": f"https://www.twitch.tv/{h}",
            "youtube": f"https://youtube.com/@{h}", "github": f"https://github.com/{h}",
            "spotify": f"https://open.spotify.com/show/{slug[:8]}{rng.randint(10**9, 10**10)}",
            "scholar": f"https://scholar.google.com/citations?user={slug[:6]}AAAAJ",
            "muckrack": f"https://muckrack.com/{h}",
            "gofundme": f"https://www.gofundme.com/f/{slug}",
            "tpt": f"https://www.teacherspayteachers.com/store/{slug}",
            "amazon": f"https://www.amazon.com/shop/{h}",
            "bandcamp": f"https://{h}.bandcamp.com", "ltk": f"https://www.shopltk.com/explore/{h}"}
    return urls[rng.choice(persona.urls)]

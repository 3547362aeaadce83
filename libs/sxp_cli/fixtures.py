"""Deterministic synthetic input rows for `sxp generate` (pure generators plus two writers).

generate_fixture_rows(count, seed) returns FixtureRow values: the input row plus ground truth
(kind, expected rejection reason, contact presence, persona, language); generate_profiles()
returns only the rows. Shares: the three platforms equal; ~15% of rows carry contact data in
the bio; ~5% duplicate an earlier row (exact re-sends and new versions); ~3% are malformed,
cycling through every ingest reason code; ~15% are non-English; ~10% have vague bios.
collected_at lies in the 120 days before `collected_before`, so output depends only on the seed.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sxp_cli.fixture_langs import LANGUAGES, Language
from sxp_cli.fixture_parts import (
    PLATFORMS,
    RowGen,
    Slots,
    contact_snippet,
    external_url_for,
    make_bio,
    make_counts,
    make_email,
    make_phone,
    pick_persona,
    row_context,
    slots_for,
)
from sxp_cli.fixture_vocab import CTAS, POOLS, SEPARATORS, VAGUE_BIOS, Persona

INPUT_FIELDS: tuple[str, ...] = (
    "platform", "username", "display_name", "bio", "followers", "following", "posts", "verified",
    "profile_url", "external_url", "category", "location", "collected_at",
)
# Fixed (not "now") so output depends only on the seed; duplicates add up to 30 days to it.
DEFAULT_COLLECTED_BEFORE = datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
CONTACT_SHARE, DUPLICATE_SHARE, MALFORMED_SHARE, VAGUE_SHARE = 0.155, 0.05, 0.03, 0.10
MALFORMED_REASONS: tuple[str, ...] = (
    "unknown_platform", "missing_platform", "missing_username", "invalid_username",
    "field_too_long", "negative_count", "implausible_count", "invalid_timestamp",
    "future_timestamp", "invalid_url",
)
_BIO_LIMITS = {"tiktok": 80, "threads": 150, "x": 160}
_CATEGORY_SHARE = {"threads": 0.65, "tiktok": 0.45, "x": 0.2}
_VAGUE_EMOJI = ("", "", " ✨", " 🌙", " 🫶", " 💫", " 🌿", " ☁️", " 🍓")
_UNREADABLE_LINES = (
    '{"platform": "tiktok", "username": ', "not json at all",
    '{"platform": "x",, "username": "oops"}',
    "{'platform': 'threads', 'username': 'single_quotes'}", "[1, 2", '{"bio": "unterminated}',
    "<html>502 Bad Gateway</html>", "platform=tiktok;username=abc", "\ufeff{broken",
)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FixtureRow:
    """One generated input row and what ingest should make of it."""

    row: dict[str, Any]
    kind: str  # "profile", "duplicate" or "malformed"
    expected_reason: str | None = None
    has_contact: bool = False
    persona: str | None = None
    language: str = "en"



def _cycle(rng: random.Random, items: Sequence[T]) -> Iterator[T]:
    """Endless shuffled rounds of items, so every item appears once per round."""
    while True:
        block = list(items)
        rng.shuffle(block)
        yield from block


def _schedule(count: int, rng: random.Random) -> list[str]:
    """Slot kinds ("base", "dup", "bad") in a shuffled order; the first slot is always base."""
    n_bad = round(count * MALFORMED_SHARE)
    n_dup = round(count * DUPLICATE_SHARE)
    slots = ["base"] * (count - n_bad - n_dup) + ["dup"] * n_dup + ["bad"] * n_bad
    rng.shuffle(slots)
    if "dup" in slots:
        first = slots.index("base")
        slots[0], slots[first] = slots[first], slots[0]
    return slots


def _languages(rng: random.Random, n: int) -> list[Language | None]:
    """Each base row's language: None for English, else in proportion to LANGUAGES weights."""
    langs: list[Language | None] = []
    for lang in LANGUAGES:
        langs += [lang] * round(n * lang.weight)
    langs = langs[:n] + [None] * max(0, n - len(langs))
    rng.shuffle(langs)
    return langs


def _profile_url(platform: str, handle: str, alt: bool = False) -> str:
    """The public profile URL of a handle (alt: twitter.com / threads.com spelling)."""
    if platform == "tiktok":
        return f"https://www.tiktok.com/@{handle}"
    if platform == "x":
        return f"https://{'twitter.com' if alt else 'x.com'}/{handle}"
    return f"https://www.{'threads.com' if alt else 'threads.net'}/@{handle}"


def _raw_username(rng: random.Random, platform: str, handle: str) -> str:
    """How a user would paste the handle: plain, with "@", CamelCase on X, or as a URL."""
    r = rng.random()
    if r < 0.03:
        return _profile_url(platform, handle)
    if r < 0.08:
        return "@" + handle
    if platform == "x" and r < 0.33:
        return re.sub(r"(^|_)([a-z])", lambda m: m.group(1) + m.group(2).upper(), handle)
    return handle


def _display_name(rng: random.Random, persona: Persona, slots: Slots, vague: bool) -> str:
    """The name shown on the profile."""
    first, last = slots["first"], slots["last"]
    if vague:
        return rng.choice([first, f"{first}{rng.choice(_VAGUE_EMOJI)}", first.lower(),
                           f"{first} {last[:1]}."])
    if persona.names and (persona.is_org or rng.random() < 0.6):
        return rng.choice(persona.names).format_map(slots)
    options = [f"{first} {last}", f"{first} {last}", first, f"{first} {last} {slots['emoji']}",
               f"{first} {last[:1]}."]
    role = persona.roles[0]
    if "{" not in role and len(role) < 24:
        options.append(f"{first} · {role}")
    return rng.choice(options)


def _location(rng: random.Random, slots: Slots, is_org: bool) -> str | None:
    """A profile location, in the ways people write one."""
    if rng.random() > (0.9 if is_org else 0.7):
        return None
    r, city = rng.random(), slots["city"]
    if r < 0.7:
        return city
    if r < 0.85:
        return f"📍 {city}"
    if r < 0.95:
        return f"{city} / {slots['city2']}"
    return rng.choice(["Earth 🌍", "Online", "Worldwide", "somewhere sunny ☀️"])


def _vague_bio(rng: random.Random, snippet: str | None) -> str | None:
    """A bio that says little about who the person is."""
    text = rng.choice(VAGUE_BIOS) + rng.choice(_VAGUE_EMOJI)
    if snippet:
        return f"{text}{rng.choice(SEPARATORS)}{snippet}"
    return None if rng.random() < 0.2 else text


def _base_row(gen: RowGen, platform: str, lang: Language | None, contact: bool, vague: bool,
              plain_handle: bool = False) -> tuple[FixtureRow, str]:
    """A fresh well-formed profile row (and its normalized handle)."""
    rng = gen.rng
    persona = pick_persona(rng, platform, list(lang.phrases) if lang else None)
    ctx = row_context(gen, lang)
    slots = slots_for(gen, ctx, persona, lang)
    display = _display_name(rng, persona, slots, vague)
    if persona.is_org and not vague:
        ctx["display"] = display
    handle = gen.handle(platform, ctx, None if vague else persona)
    snippet = contact_snippet(gen, ctx, handle, lang) if contact else None
    if vague:
        bio = _vague_bio(rng, snippet)
    else:
        bio = make_bio(gen, persona, slots, lang, snippet, _BIO_LIMITS[platform])
    has_link = not vague and rng.random() < (0.9 if persona.is_org else 0.55)
    row: dict[str, Any] = {
        "platform": platform,
        "username": handle if plain_handle else _raw_username(rng, platform, handle),
        "display_name": display,
        "bio": bio,
        **make_counts(rng, persona, platform),
        "profile_url": _profile_url(platform, handle, rng.random() < 0.2)
        if rng.random() < 0.85 else None,
        "external_url": external_url_for(rng, persona, ctx, handle) if has_link else None,
        "category": rng.choice(persona.categories)
        if not vague and rng.random() < _CATEGORY_SHARE[platform] else None,
        "location": _location(rng, slots, persona.is_org),
        "collected_at": gen.timestamp(),
    }
    if contact and rng.random() < 0.15:
        phone = re.sub(r"\D", "", make_phone(rng, "US", True))
        email = make_email(rng, ctx, handle, "en")
        row["external_url"] = rng.choice([f"https://wa.me/{phone}", f"mailto:{email}"])
    if contact and rng.random() < 0.06:
        row["display_name"] = f"{row['display_name']} 📞 {make_phone(rng, 'US', False)}"
    key = None if vague else persona.key
    return FixtureRow(row, "profile", None, contact, key, lang.code if lang else "en"), handle


def _duplicate(gen: RowGen, original: FixtureRow) -> FixtureRow:
    """A re-send of an earlier row: identical, or a new version (bio/follower change)."""
    rng = gen.rng
    row = dict(original.row)
    username = str(row["username"])
    if rng.random() < 0.4 and "/" not in username:
        bare = username.removeprefix("@")
        row["username"] = rng.choice(["@" + bare, bare.upper(), bare.title()])
    if rng.random() < 0.5:
        changed = False
        if row["bio"] and rng.random() < 0.6:
            cta = rng.choice(CTAS).replace("{day}", rng.choice(POOLS["day"]))
            row["bio"] = f"{row['bio']}{rng.choice(SEPARATORS)}{cta}"
            changed = True
        if not changed or rng.random() < 0.5:
            row["followers"] = int(row["followers"] * rng.uniform(1.01, 1.4)) + 1
        later = datetime.fromisoformat(row["collected_at"]) + timedelta(days=rng.randint(1, 30))
        row["collected_at"] = later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return FixtureRow(row, "duplicate", None, original.has_contact, original.persona,
                      original.language)


def _bad_username(rng: random.Random, platform: str, h: str) -> str:
    """A username that breaks the platform's rules (or is another site's profile URL)."""
    options = {
        "tiktok": [h[:1], h[:23] + ".", f"{h[:20]}-x", f"{h[:10]} x"],
        "x": [(h + "_official_account")[:20], f"{h[:7]}.{h[7:12] or 'x'}", f"{h[:10]}-x"],
        "threads": ["." + h[:25], h[:25] + ".", f"{h[:10]}..x", "x" * 31],
    }[platform]
    return rng.choice(options + [f"https://www.instagram.com/{h}", h[:10] + "ü"])


def _corrupt(rng: random.Random, row: dict[str, Any], reason: str, handle: str) -> None:
    """Break a well-formed row in the way named by reason (in place)."""
    if reason == "unknown_platform":
        row["platform"] = rng.choice(["instagram", "Facebook", "myspace", "snapchat", "YouTube",
                                      "linkedin", "bluesky", "tik tok"])
    elif reason == "missing_platform":
        row["platform"] = rng.choice([None, "", "   "])
    elif reason == "missing_username":
        row["username"] = rng.choice([None, "", "   "])
    elif reason == "invalid_username":
        row["username"] = _bad_username(rng, row["platform"], handle)
    elif reason == "field_too_long":
        name, cap = rng.choice([("bio", 1000), ("display_name", 100), ("location", 200),
                                ("category", 100)])
        text = row[name] or "Sharing my journey"
        row[name] = " ".join([text] * (cap // (len(text) + 1) + 2))[: cap + rng.randint(1, 400)]
    elif reason == "negative_count":
        row[rng.choice(["followers", "following", "posts"])] = -rng.randint(1, 50_000)
    elif reason == "implausible_count":
        row["followers"] = rng.randint(5_000_000_001, 90_000_000_000)
    elif reason == "invalid_timestamp":
        row["collected_at"] = rng.choice(["yesterday", "31/12/2025 14:00", "2026-13-45T25:61:00Z",
                                          "not a date", "1700000000", "Jun 3, 2026",
                                          "2026-02-30T10:00:00Z"])
    elif reason == "future_timestamp":
        year, month, day = rng.randint(2090, 2099), rng.randint(1, 9), rng.randint(10, 19)
        row["collected_at"] = f"{year}-0{month}-{day}T08:00:00Z"
    elif reason == "invalid_url":
        row["external_url"] = rng.choice([
            f"htp://linktr.ee/{handle}", "ftp://files.example.com/menu.pdf", "not a url",
            "http://", f"https://exa mple.com/{handle}", "javascript:void(0)",
            "//cdn.example.com/x",
        ])


def _malformed(gen: RowGen, reason: str, platform: str) -> FixtureRow:
    """A row ingest must reject with reason (contact-free, otherwise well-formed)."""
    base, handle = _base_row(gen, platform, None, contact=False, vague=False, plain_handle=True)
    row = dict(base.row)
    _corrupt(gen.rng, row, reason, handle)
    return FixtureRow(row, "malformed", reason, False, base.persona, base.language)


def generate_fixture_rows(
    count: int, seed: int = 7, collected_before: datetime = DEFAULT_COLLECTED_BEFORE
) -> list[FixtureRow]:
    """count synthetic rows with ground truth, deterministic for (count, seed, collected_before)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    gen = RowGen(seed, collected_before)
    rng = gen.rng
    slots = _schedule(count, rng)
    n_base = slots.count("base")
    contact = set(rng.sample(range(n_base), round(n_base * CONTACT_SHARE)))
    vague = set(rng.sample(range(n_base), round(n_base * VAGUE_SHARE)))
    langs = _languages(rng, n_base)
    platforms, bad_platforms = _cycle(rng, PLATFORMS), _cycle(rng, PLATFORMS)
    reasons = _cycle(rng, MALFORMED_REASONS)
    rows: list[FixtureRow] = []
    originals: list[FixtureRow] = []
    for slot in slots:
        if slot == "base":
            i = len(originals)
            row, _ = _base_row(gen, next(platforms), langs[i], i in contact, i in vague)
            originals.append(row)
            rows.append(row)
        elif slot == "dup":
            rows.append(_duplicate(gen, rng.choice(originals)))
        else:
            rows.append(_malformed(gen, next(reasons), next(bad_platforms)))
    return rows


def generate_profiles(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """count synthetic input rows (the fields in INPUT_FIELDS), deterministic for a seed."""
    return [fixture.row for fixture in generate_fixture_rows(count, seed)]


def to_jsonl_lines(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """One compact JSON object per row (UTF-8 kept, newlines escaped)."""
    return [json.dumps(dict(row), ensure_ascii=False) for row in rows]


def corrupt_lines(lines: Sequence[str], count: int, seed: int = 7) -> list[str]:
    """lines with count unreadable (not-JSON) lines inserted at seeded positions."""
    rng = random.Random(seed * 7919 + 1)
    out = list(lines)
    for i in range(count):
        bad = _UNREADABLE_LINES[i % len(_UNREADABLE_LINES)]
        out.insert(rng.randint(0, len(out)), bad)
    return out


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | Path, unreadable: int = 0,
                seed: int = 7) -> int:
    """Write rows as JSON Lines (plus `unreadable` broken lines); returns lines written."""
    lines = corrupt_lines(to_jsonl_lines(rows), unreadable, seed)
    with Path(path).open("w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(line + "\n" for line in lines)
    return len(lines)


def _csv_value(value: Any) -> Any:
    """A CSV cell: None as empty, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(rows: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Write rows as CSV with an INPUT_FIELDS header; returns rows written."""
    written = 0
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=INPUT_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in INPUT_FIELDS})
            written += 1
    return written

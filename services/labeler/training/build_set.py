"""Compile the self-written training profiles (src/*.txt) into corpus-format jsonl files.

Usage: python -m services.labeler.training.build_set [--check]

Source format (src/NN_name.txt), one profile a line, headers set sticky defaults:

    # a comment
    @ p=tiktok per=creator tri=fitness_wellness,null ind=sports_fitness,null ex=AFFILIATE
    @ lang=en f=mid
    handle | Display Name | bio text (may itself contain |) ^^ loc=Lagos ^^ per=creator,artist

A header changes only the keys it names; `@@` resets them all. `^^ key=value` at the end of a
line overrides a key for that line only (keys: p, per, tri, ind, ex, lang, f, loc, url, v).
`f` is a follower tier (nano, micro, mid, macro, mega) or a range (`2k-40k`); the counts,
following, posts, verification and collection date are derived from a hash of the handle,
so the output is deterministic. An empty bio is written as `-`.

The output is one jsonl file per language (`{lang}.jsonl`), rows in source order; `--check`
validates only (taxonomy IDs, duplicate handles, contact data) and prints the counts.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from services.labeler.domain import ALL_INDUSTRIES, ALL_PERSONAS, ALL_TRIBES, EXECUTION_LABELS

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
DIMENSIONS = ("persona", "tribe", "industry", "execution_label")
KEYS = {"p": "platform", "per": "persona", "tri": "tribe", "ind": "industry",
        "ex": "execution_label"}
TIERS = {"nano": (12, 990), "micro": (1_000, 9_900), "mid": (10_000, 99_000),
         "macro": (100_000, 990_000), "mega": (1_000_000, 9_800_000)}
PLATFORMS = ("x", "tiktok", "threads")
_X_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_.]{2,30}$")
_RANGE = re.compile(r"^(\d+(?:\.\d+)?)([km]?)-(\d+(?:\.\d+)?)([km]?)$")

PERSONAS = frozenset(ALL_PERSONAS)
TRIBES = frozenset(ALL_TRIBES)
INDUSTRIES = frozenset(ALL_INDUSTRIES)
EXECUTION = frozenset(EXECUTION_LABELS)
ALLOWED = {"persona": PERSONAS, "tribe": TRIBES, "industry": INDUSTRIES,
           "execution_label": EXECUTION}


@dataclass
class Problem:
    where: str
    message: str


def _number(text: str, unit: str) -> int:
    return int(float(text) * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def _tier(spec: str) -> tuple[int, int]:
    if spec in TIERS:
        return TIERS[spec]
    match = _RANGE.match(spec)
    if not match:
        raise ValueError(f"bad follower spec {spec!r}")
    return _number(match[1], match[2]), _number(match[3], match[4])


def _unit(handle: str, salt: str) -> float:
    digest = hashlib.sha1(f"{salt}:{handle.lower()}".encode()).digest()
    return int.from_bytes(digest[:6], "big") / float(1 << 48)


def _counts(handle: str, spec: str, persona: str) -> tuple[int, int, int, bool]:
    low, high = _tier(spec)
    # log-uniform inside the tier: most accounts sit near the bottom of their range
    followers = int(low * (high / max(low, 1)) ** _unit(handle, "f"))
    if followers >= 10_000:
        followers = int(round(followers, -2))
    ratio = 0.02 + 0.6 * _unit(handle, "g") if followers > 20_000 else 0.3 + 2 * _unit(handle, "g")
    following = max(0, min(7_500, int(followers * ratio) if followers < 5_000
                           else int(50 + 1_500 * _unit(handle, "g"))))
    posts = int(5 + (30 + followers ** 0.5) * 4 * _unit(handle, "p"))
    if persona == "hobbyist":
        posts = int(posts * 0.6)
    verified = followers > 400_000 and _unit(handle, "v") < 0.55
    return followers, following, posts, verified


def _collected_at(handle: str) -> str:
    day = 1 + int(_unit(handle, "d") * 28)
    month = 9 + int(_unit(handle, "m") * 3)
    return f"2026-{month:02d}-{day:02d}T00:00:00Z"


def _labels(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _parse_settings(text: str) -> dict[str, str]:
    """key=value pairs; a word without '=' continues the previous value (loc=New York)."""
    settings: dict[str, str] = {}
    key = ""
    for part in text.split():
        name, sep, value = part.partition("=")
        if sep and name.isalpha():
            key = name
            settings[key] = value
        elif key:
            settings[key] += " " + part
    return settings


def _record(handle: str, name: str, bio: str, cfg: dict[str, str]) -> dict[str, object]:
    persona = _labels(cfg["per"])
    followers, following, posts, verified = _counts(handle, cfg.get("f", "micro"), persona[0])
    if "v" in cfg:
        verified = cfg["v"] == "1"
    expect: dict[str, list[str]] = {KEYS[k]: _labels(cfg[k]) for k in ("per", "tri", "ind", "ex")}
    expect["contact"] = []
    return {
        "platform": cfg["p"], "username": handle, "display_name": name or None,
        "bio": "" if bio == "-" else bio, "followers": followers, "following": following,
        "posts": posts, "verified": verified, "profile_url": None,
        "external_url": cfg.get("url") or None, "category": None,
        "location": cfg.get("loc") or None, "collected_at": _collected_at(handle),
        "source": "self-written", "expect": expect,
    }


def _line(raw: str, defaults: dict[str, str]) -> tuple[dict[str, object], str]:
    body, *extras = raw.split(" ^^ ")
    cfg = dict(defaults)
    for extra in extras:
        cfg.update(_parse_settings(extra))
    handle, name, bio = (part.strip() for part in body.split(" | ", 2))
    return _record(handle, name, bio, cfg), cfg["lang"]


def parse_source(path: Path) -> list[tuple[dict[str, object], str, str]]:
    """Rows of one source file as (record, language, 'file:line')."""
    rows: list[tuple[dict[str, object], str, str]] = []
    defaults: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{number}"
        line = raw.rstrip()
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("@@"):
            defaults = _parse_settings(line[2:])
        elif line.startswith("@"):
            defaults.update(_parse_settings(line[1:]))
        else:
            try:
                record, lang = _line(line, defaults)
            except (KeyError, ValueError) as exc:
                raise SystemExit(f"{where}: cannot parse ({exc!r}): {line}") from exc
            rows.append((record, lang, where))
    return rows


def validate(rows: list[tuple[dict[str, object], str, str]]) -> list[Problem]:
    """Taxonomy IDs, null use, platforms, duplicate handles and contact data."""
    from sxp_common.redaction import contains_contact_data

    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for record, _lang, where in rows:
        handle = str(record["username"]).lower()
        if handle in seen:
            problems.append(Problem(where, f"duplicate username {handle} (first {seen[handle]})"))
        seen.setdefault(handle, where)
        pattern = _X_HANDLE if record["platform"] == "x" else _HANDLE
        if not pattern.match(str(record["username"])):
            problems.append(Problem(where, f"username {record['username']} not a valid handle"))
        if record["platform"] not in PLATFORMS:
            problems.append(Problem(where, f"platform {record['platform']}"))
        expect = record["expect"]
        assert isinstance(expect, dict)
        for dim in DIMENSIONS:
            labels = expect[dim]
            bad = [x for x in labels if x != "null" and x not in ALLOWED[dim]]
            if bad or not labels or len(labels) != len(set(labels)) or len(labels) > 4:
                problems.append(Problem(where, f"{dim} {labels}"))
        for field in ("bio", "display_name", "location", "username"):
            value = record[field]
            if isinstance(value, str) and contains_contact_data(value):
                problems.append(Problem(where, f"contact data in {field}: {value}"))
    return problems


def all_rows() -> list[tuple[dict[str, object], str, str]]:
    rows: list[tuple[dict[str, object], str, str]] = []
    for path in sorted(SRC.glob("*.txt")):
        rows.extend(parse_source(path))
    return rows


def stats(rows: list[tuple[dict[str, object], str, str]]) -> dict[str, Counter[str]]:
    """Counts per language, platform and label (a label counts wherever it is accepted)."""
    out: dict[str, Counter[str]] = {"lang": Counter(), "platform": Counter()}
    for dim in DIMENSIONS:
        out[dim] = Counter()
    for record, lang, _ in rows:
        out["lang"][lang] += 1
        out["platform"][str(record["platform"])] += 1
        expect = record["expect"]
        assert isinstance(expect, dict)
        for dim in DIMENSIONS:
            for label in expect[dim]:
                out[dim][label] += 1
    return out


def write(rows: list[tuple[dict[str, object], str, str]]) -> list[Path]:
    by_lang: dict[str, list[str]] = {}
    for record, lang, _ in rows:
        by_lang.setdefault(lang, []).append(json.dumps(record, ensure_ascii=False))
    for old in HERE.glob("*.jsonl"):
        old.unlink()
    paths = []
    for lang, lines in sorted(by_lang.items()):
        path = HERE / f"{lang}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    rows = all_rows()
    problems = validate(rows)
    for problem in problems:
        print(f"{problem.where}: {problem.message}", file=sys.stderr)
    if not problems and "--check" not in argv:
        write(rows)
    counts = stats(rows)
    print(f"profiles {len(rows)}")
    for key, counter in counts.items():
        print(key, " ".join(f"{k}={v}" for k, v in sorted(counter.items(), key=lambda i: -i[1])))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Write generated fixture profiles to a file, with optional unreadable lines."""

from __future__ import annotations

import random
from pathlib import Path

from sxp_cli.fixtures import generate_profiles, write_csv, write_jsonl
from sxp_cli.reader import InputError

_UNREADABLE = ('{"platform": "tiktok", "username": ', "not json at all", '["a", "list"]', "{'single': 'quotes'}")


def generate_file(out: Path, count: int, seed: int, unreadable: int = 0) -> int:
    """Generate `count` rows to `out` (.jsonl or .csv); return the lines written."""
    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise InputError(f"{out}: use a .jsonl or .csv file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = generate_profiles(count, seed)
    if suffix == ".csv":
        write_csv(rows, out)
        return len(rows)
    write_jsonl(rows, out)
    if unreadable:
        lines = out.read_text(encoding="utf-8").splitlines()
        rng = random.Random(seed)
        for n in range(unreadable):
            lines.insert(rng.randrange(len(lines) + 1), _UNREADABLE[n % len(_UNREADABLE)])
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(rows) + unreadable

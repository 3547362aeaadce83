"""Write generated fixture profiles to a file, with optional unreadable lines."""

from __future__ import annotations

from pathlib import Path

from sxp_cli.fixtures import generate_profiles, write_csv, write_jsonl
from sxp_cli.reader import InputError


def generate_file(out: Path, count: int, seed: int, unreadable: int = 0) -> int:
    """Generate `count` rows to `out` (.jsonl or .csv); return the lines written."""
    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise InputError(f"{out}: use a .jsonl or .csv file name")
    if unreadable and suffix == ".csv":
        raise InputError("--unreadable applies to .jsonl output only")
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = generate_profiles(count, seed)
    if suffix == ".csv":
        write_csv(rows, out)
        return len(rows)
    return write_jsonl(rows, out, unreadable=unreadable, seed=seed)

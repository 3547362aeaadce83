"""Read input profiles from JSONL or CSV into typed rows; bad rows carry their line number."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from sxp_common.profile_input import (  # noqa: F401 - the CLI's names for them
    COUNT_FIELDS,
    INPUT_FIELDS,
    TEXT_FIELDS,
    type_row,
)

_PLAIN = frozenset((str, int, bool, type(None)))  # JSON values orjson reads as json does


class InputError(ValueError):
    """The input file as a whole cannot be read (missing, unknown format)."""


@dataclass(frozen=True)
class InputRow:
    """One input line: its number and either the typed profile fields or why it is unreadable."""

    line: int
    fields: dict[str, Any] | None
    error: str | None = None


def parse_json(line: str) -> Any:
    """json.loads(line), by orjson where that is sure to give the same (a few times faster).

    orjson reads an integer past 64 bits as a float and refuses what the standard library
    lets through (NaN, lone surrogates), so only an object of plain strings, 64-bit ints,
    booleans and nulls is taken from it; anything else is parsed again by the standard
    library, so what is accepted and each error message stay as they were."""
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)
    if type(parsed) is dict and _PLAIN.issuperset(map(type, parsed.values())):
        return parsed
    return json.loads(line)


def _jsonl_rows(path: Path, platform: str | None) -> Iterator[InputRow]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = parse_json(line)
            except json.JSONDecodeError as exc:
                yield InputRow(number, None, f"not valid JSON ({exc.msg})")
                continue
            if not isinstance(raw, dict):
                yield InputRow(number, None, "not a JSON object")
                continue
            yield _typed(number, raw, platform)


def _csv_rows(path: Path, platform: str | None) -> Iterator[InputRow]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "username" not in reader.fieldnames:
            raise InputError(f"{path}: CSV header must name at least 'username'")
        for raw in reader:
            if None in raw:
                yield InputRow(reader.line_num, None, "more cells than header columns")
                continue
            yield _typed(reader.line_num, raw, platform)


def _typed(number: int, raw: dict[str, Any], platform: str | None) -> InputRow:
    try:
        return InputRow(number, type_row(raw, platform))
    except ValueError as exc:
        return InputRow(number, None, str(exc))


def read_rows(path: Path, platform: str | None = None) -> Iterator[InputRow]:
    """Rows of a .jsonl/.json/.ndjson or .csv file, in order."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl_rows(path, platform)
    if suffix == ".csv":
        return _csv_rows(path, platform)
    raise InputError(f"{path}: unknown format {suffix or '(none)'}; use .jsonl or .csv")

"""The hand-labeled corpus format, where the shared corpus lives, and its dev/holdout split.

One place decides which corpus rows are held out, so the tests, `sxp eval labels` and any
tuning script agree. A row is held out when the last hex digit of sha1(lowercased username)
is in HOLDOUT_DIGITS (4 of 16 digits: about 22% of real_dev.jsonl). The last digit, because
that corpus was itself sampled by the first digits of the same hash. The holdout's errors are not
looked
at while the rules are tuned; only its totals are reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HOLDOUT_DIGITS = frozenset("25ae")
LABEL_DIMENSIONS = ("persona", "tribe", "industry", "execution_label")
NULL = "null"


def shared_corpus_dir(repo_root: Path) -> Path:
    """The shared corpus folder, a sibling of the repository (CI checks it out there)."""
    return repo_root.parent / "shared" / "corpus"


def is_holdout(username: str) -> bool:
    """True when a corpus row with this username belongs to the holdout split."""
    digest = hashlib.sha1(username.strip().lower().encode("utf-8")).hexdigest()
    return digest[-1] in HOLDOUT_DIGITS


def split_rows(rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(dev, holdout) rows of a corpus, in their original order."""
    dev: list[dict[str, Any]] = []
    holdout: list[dict[str, Any]] = []
    for row in rows:
        (holdout if is_holdout(str(row.get("username") or "")) else dev).append(row)
    return dev, holdout


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every JSON object of a JSONL file (blank lines skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSONL; return how many were written."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count

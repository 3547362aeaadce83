"""End to end offline: `sxp preview` prints no contact string of any input in its output line.

Runs the preview (validation, redaction, card factory, labeler) over every red-team case, as a
profile bio and as a display name, and over the real development corpus when it is present.
Each input's contact strings are looked for in that input's own JSON line, so a survivor of
another case that happens to contain the same digits is not counted as a leak.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sxp_cli.preview import preview_file

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real_dev.jsonl"
# Known misses documented in test_redaction_redteam.py, by case id.
KNOWN_MISSES = {"email_r2-449", "blind-phone-072"}


def _cases() -> list[dict]:
    cases: list[dict] = []
    for path in sorted(DATA.glob("redteam*.jsonl")):
        with path.open(encoding="utf-8") as f:
            cases += [json.loads(line) for line in f if line.strip()]
    return cases


def _leaks(rows: list[dict], contacts: list[list[str]], tmp_path: Path) -> list[tuple]:
    source = tmp_path / "profiles.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    results = list(preview_file(source))
    assert len(results) == len(rows)
    found = []
    for result, strings in zip(results, contacts, strict=True):
        line = json.dumps(result, ensure_ascii=False, default=str)
        assert not strings or "lead_card" in result, line  # a rejected row proves nothing
        found += [(result["line"], s) for s in strings if s in line]
    return found


@pytest.mark.parametrize("field", ["bio", "display_name"])
def test_preview_of_the_redteam_set_leaks_no_contact_string(field: str, tmp_path: Path) -> None:
    cases = [c for c in _cases() if c["remove"] and c["id"] not in KNOWN_MISSES]
    rows = [{"platform": "x", "username": f"redteam{i}", field: c["text"][:100]}
            for i, c in enumerate(cases)]
    contacts = [[s for s in c["remove"] if s in c["text"][:100]] for c in cases]
    assert sum(map(len, contacts)) > 300
    assert _leaks(rows, contacts, tmp_path) == []


@pytest.mark.skipif(not CORPUS.exists(), reason="development corpus not present")
def test_preview_of_the_corpus_leaks_no_labeled_contact_string(tmp_path: Path) -> None:
    with CORPUS.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    rows = [{k: v for k, v in r.items() if k != "expect"} for r in records]
    contacts = [(r.get("expect") or {}).get("contact") or [] for r in records]
    assert sum(map(len, contacts)) > 0
    assert _leaks(rows, contacts, tmp_path) == []

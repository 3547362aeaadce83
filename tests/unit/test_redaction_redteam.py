"""Red-team sets for contact redaction: every contact goes, every survivor stays.

tests/unit/data/redteam_contacts.jsonl was written to attack the redactor and tuned against;
redteam_blind.jsonl was written after tuning stopped, and its test allows only the misses
measured then (BLIND_KNOWN_MISSES), so it fails on any regression below that. A case leaks
when a contact string survives whole or by a 3+ character word of its own
("name [arroba] gmail.com" -> "name [contact removed]" leaks "name").
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from sxp_common.redaction import REDACTION_TOKEN, redact_text

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"


def _bench():
    """bench/redaction_bench.py as a module (its judge and its Presidio set-up)."""
    spec = importlib.util.spec_from_file_location("redaction_bench", ROOT / "bench" /
                                                  "redaction_bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("redaction_bench", module)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()


def _cases(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


REDTEAM = _cases("redteam_contacts.jsonl")
# Known misses of the tuned set, by case id, with the reason.
KNOWN_MISSES: dict[str, str] = {
    "email_r2-449": "spaces inside words ('ja ne@gm ail.com'): joining them would glue "
                    "ordinary words of a sentence to any address next to them",
}


def _out(text: str) -> str:
    return redact_text(text).text


def test_the_set_is_large_and_covers_every_attack_and_negative() -> None:
    cats = {c["cat"].split("_")[0] for c in REDTEAM}
    assert len(REDTEAM) >= 300
    assert {"email", "phone", "messenger", "negative", "multi"} <= cats
    assert len({c["id"] for c in REDTEAM}) == len(REDTEAM)
    for case in REDTEAM:
        assert case["remove"] or case["keep"], case["id"]
        for part in case["remove"] + case["keep"]:
            assert part in case["text"], (case["id"], part)


@pytest.mark.parametrize("case", REDTEAM, ids=[c["id"] for c in REDTEAM])
def test_redteam_case_removes_every_contact_and_keeps_every_survivor(case: dict) -> None:
    if case["id"] in KNOWN_MISSES:
        pytest.xfail(KNOWN_MISSES[case["id"]])
    out = _out(case["text"])
    missed, damaged = BENCH.judge(case, out)
    assert not missed, f"leaked {missed}: {out!r}"
    assert not damaged, f"damaged {damaged}: {out!r}"
    assert (REDACTION_TOKEN in out) == bool(case["remove"])


def test_the_leak_judge_catches_a_partial_leak_and_a_damaged_survivor() -> None:
    case = {"text": "Mail: name [arroba] gmail.com · Lima", "remove": ["name [arroba] gmail.com"],
            "keep": ["Lima"]}
    partial = f"Mail: name {REDACTION_TOKEN} · Lima"
    assert BENCH.judge(case, partial) == (["name [arroba] gmail.com"], [])
    assert BENCH.judge(case, f"Mail: {REDACTION_TOKEN} · Li") == ([], ["Lima"])
    assert BENCH.judge(case, f"Mail: {REDACTION_TOKEN} · Lima") == ([], [])


@pytest.fixture(scope="module")
def presidio():
    with BENCH.no_network() as attempts:
        redact = BENCH.presidio()
    if redact is None:
        pytest.skip("presidio-analyzer is not installed (it is in the dev extra: "
                    "pip install -e '.[dev]')")
    assert not attempts, f"Presidio tried the network while loading: {attempts}"
    return redact


def test_we_catch_every_contact_presidio_catches_on_the_redteam_set(presidio) -> None:
    theirs_only = []
    with BENCH.no_network() as attempts:
        for case in REDTEAM:
            ours, theirs = _out(case["text"]), presidio(case["text"])
            for contact in case["remove"]:
                text = case["text"]
                if not BENCH.leaked(text, theirs, contact) and BENCH.leaked(text, ours, contact):
                    theirs_only.append((case["id"], contact))
    assert not attempts
    assert theirs_only == []
    assert BENCH.score_cases(REDTEAM, presidio)["caught"] > 0  # the comparison is live


BLIND_PATH = DATA / "redteam_blind.jsonl"
BLIND = _cases(BLIND_PATH.name) if BLIND_PATH.exists() else []
# Misses measured on the blind set when it was first run, by case id and reason. Fixing one
# is welcome (remove it here); a new miss fails the test.
BLIND_KNOWN_MISSES: dict[str, str] = {
    "blind-phone-072": "'Order 0857-1234-5678': 'order' is an ID cue (order numbers stay), "
                       "so a phone written right after it is taken for an order number",
    "blind-negative-149": "'Fortnite 1234-5678-9012' (a creator code) has a phone's shape",
    "blind-negative-178": "'Timestamp 1718000000': ten bare digits read as a phone",
}


@pytest.mark.skipif(not BLIND, reason="the blind set is not written yet")
def test_blind_set_has_no_miss_beyond_those_measured_when_it_was_written() -> None:
    failing = {}
    for case in BLIND:
        missed, damaged = BENCH.judge(case, _out(case["text"]))
        if missed or damaged:
            failing[case["id"]] = (missed, damaged)
    new = {k: v for k, v in failing.items() if k not in BLIND_KNOWN_MISSES}
    assert not new, f"regressions on the blind set: {new}"
    assert len(BLIND) >= 100

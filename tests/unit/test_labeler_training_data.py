"""The self-written labeler training set (services/labeler/training/*.jsonl) is well formed.

It is what a learned labeler trains on, so a bad row teaches a wrong label: every row has the
corpus format, every label is a taxonomy ID, no handle repeats, no contact data at all, each
persona and tribe has enough examples, a third or more is not English, and the jsonl files are
exactly what the sources (src/*.txt) compile to.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from services.labeler.domain import ALL_INDUSTRIES, ALL_PERSONAS, ALL_TRIBES, EXECUTION_LABELS
from services.labeler.training import build_set
from sxp_common.redaction import contact_spans, contains_contact_data

pytestmark = pytest.mark.unit

TRAINING = Path(__file__).resolve().parents[2] / "services" / "labeler" / "training"
FILES = sorted(TRAINING.glob("*.jsonl"))
KEYS = ["platform", "username", "display_name", "bio", "followers", "following", "posts",
        "verified", "profile_url", "external_url", "category", "location", "collected_at",
        "source", "expect"]
EXPECT_KEYS = ["persona", "tribe", "industry", "execution_label", "contact"]
ALLOWED = {"persona": set(ALL_PERSONAS), "tribe": set(ALL_TRIBES),
           "industry": set(ALL_INDUSTRIES), "execution_label": set(EXECUTION_LABELS)}
MIN_PROFILES = 3000
MIN_PER_LABEL = 40  # every persona and tribe, counted where it is an accepted label
MIN_NOT_ENGLISH = 1 / 3
MIN_ABSTAIN = 0.04  # rows where ["null"] is the only right persona and tribe
NOT_A_LANGUAGE = {"en", "zxx"}  # zxx: no linguistic content (emoji, handles, empty)


def _rows() -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            rows.append((path.stem, json.loads(line)))
    return rows


ROWS = _rows()


def test_every_row_has_the_corpus_format() -> None:
    assert FILES, f"no jsonl files in {TRAINING}"
    for lang, row in ROWS:
        where = f"{lang}:{row.get('username')}"
        assert list(row) == KEYS, where
        assert list(row["expect"]) == EXPECT_KEYS, where
        assert row["platform"] in {"x", "tiktok", "threads"}, where
        assert row["source"] == "self-written", where
        assert row["profile_url"] is None and row["category"] is None, where
        assert isinstance(row["bio"], str) and isinstance(row["verified"], bool), where
        for count in ("followers", "following", "posts"):
            assert isinstance(row[count], int) and row[count] >= 0, where
        assert row["collected_at"].endswith("T00:00:00Z"), where


def test_every_label_is_a_taxonomy_id_and_null_is_used_as_the_corpus_does() -> None:
    for lang, row in ROWS:
        for dim, allowed in ALLOWED.items():
            labels = row["expect"][dim]
            where = f"{lang}:{row['username']} {dim}={labels}"
            assert labels and len(labels) == len(set(labels)), where
            assert set(labels) <= allowed | {"null"}, where
        if row["expect"]["persona"] == ["null"]:
            # nothing said about who the profile is: nothing to do with it either
            assert row["expect"]["execution_label"] == ["null"], row["username"]


def test_usernames_are_unique() -> None:
    counts = Counter(row["username"].lower() for _, row in ROWS)
    assert [name for name, n in counts.items() if n > 1] == []


def test_no_contact_data_anywhere() -> None:
    for _, row in ROWS:
        assert row["expect"]["contact"] == [], row["username"]
        for field in ("username", "display_name", "bio", "location", "external_url"):
            value = row[field]
            if value is None:
                continue
            assert not contains_contact_data(value), (row["username"], field, value)
            assert contact_spans(value) == [], (row["username"], field, value)


def test_size_balance_and_languages() -> None:
    assert len(ROWS) >= MIN_PROFILES
    for dim, labels in (("persona", ALL_PERSONAS), ("tribe", ALL_TRIBES)):
        counts = Counter(label for _, row in ROWS for label in row["expect"][dim])
        short = {label: counts[label] for label in labels if counts[label] < MIN_PER_LABEL}
        assert short == {}, f"{dim} below {MIN_PER_LABEL}: {short}"
    not_english = sum(1 for lang, _ in ROWS if lang not in NOT_A_LANGUAGE)
    assert not_english / len(ROWS) >= MIN_NOT_ENGLISH
    abstain = sum(1 for _, row in ROWS
                  if row["expect"]["persona"] == ["null"] and row["expect"]["tribe"] == ["null"])
    assert abstain / len(ROWS) >= MIN_ABSTAIN


def test_jsonl_files_are_what_the_sources_compile_to() -> None:
    rows = build_set.all_rows()
    assert build_set.validate(rows) == []
    compiled: dict[str, list[str]] = {}
    for record, lang, _ in rows:
        compiled.setdefault(lang, []).append(json.dumps(record, ensure_ascii=False))
    on_disk = {path.stem: path.read_text(encoding="utf-8").splitlines() for path in FILES}
    assert on_disk == compiled

"""Synthetic fixtures: deterministic, realistic shares, and exactly what ingest expects."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.ingest.domain import CleanProfile, Rejection, validate_submission
from sxp_cli.fixtures import (
    INPUT_FIELDS,
    MALFORMED_REASONS,
    FixtureRow,
    corrupt_lines,
    generate_fixture_rows,
    generate_profiles,
    to_jsonl_lines,
    write_csv,
    write_jsonl,
)
from sxp_common.redaction import contains_contact_data

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, tzinfo=UTC)
COUNT = 3000
TEXT_FIELDS = ("display_name", "bio", "location", "category", "profile_url", "external_url")


@pytest.fixture(scope="module")
def rows() -> list[FixtureRow]:
    return generate_fixture_rows(COUNT, seed=7)


@pytest.fixture(scope="module")
def results(rows: list[FixtureRow]) -> list[CleanProfile | Rejection]:
    return [validate_submission(as_submission(r.row, i), NOW) for i, r in enumerate(rows)]


def as_submission(row: dict, index: int) -> dict:
    """The submitted-schema dict the publisher would build from a row."""
    return dict(row, submission_id=f"s{index}", job_id="job", source=f"fx.jsonl:{index + 1}",
                submitted_at=NOW)


def share(items: list[bool]) -> float:
    return sum(items) / len(items)


def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not() -> None:
    assert generate_profiles(400, seed=3) == generate_profiles(400, seed=3)
    assert generate_profiles(400, seed=3) != generate_profiles(400, seed=4)


def test_rows_have_exactly_the_input_fields(rows: list[FixtureRow]) -> None:
    assert all(tuple(r.row) == INPUT_FIELDS for r in rows)
    assert len(rows) == COUNT and len(generate_profiles(0)) == 0


def test_the_three_platforms_get_equal_shares(rows: list[FixtureRow]) -> None:
    platforms = Counter(r.row["platform"] for r in rows)
    for name in ("tiktok", "threads", "x"):
        assert abs(platforms[name] / COUNT - 1 / 3) < 0.02, platforms


def test_about_fifteen_percent_of_bios_carry_contact_data(rows: list[FixtureRow]) -> None:
    detected = [contains_contact_data(r.row["bio"]) for r in rows]
    assert 0.12 <= share(detected) <= 0.18
    assert detected == [r.has_contact for r in rows]


def test_duplicates_include_exact_resends_and_new_versions(rows: list[FixtureRow],
                                                           results: list) -> None:
    dup_rows = [(r, p) for r, p in zip(rows, results, strict=True) if r.kind == "duplicate"]
    assert 0.04 <= len(dup_rows) / COUNT <= 0.06
    first_hash: dict[str, str] = {}
    for r, p in zip(rows, results, strict=True):
        if r.kind == "profile" and isinstance(p, CleanProfile):
            first_hash.setdefault(p.profile_id, p.content_hash)
    seen_before = [p.profile_id in first_hash for _, p in dup_rows]
    same_content = [first_hash.get(p.profile_id) == p.content_hash for _, p in dup_rows]
    assert all(seen_before)
    assert 0.3 < share(same_content) < 0.8
    assert any(r.row["username"].startswith("@") or r.row["username"] != p.username
               for r, p in dup_rows)


def test_every_malformed_kind_is_present_and_about_three_percent(rows: list[FixtureRow]) -> None:
    bad = [r for r in rows if r.kind == "malformed"]
    assert 0.025 <= len(bad) / COUNT <= 0.035
    assert {r.expected_reason for r in bad} == set(MALFORMED_REASONS)


def test_malformed_rows_are_rejected_for_their_reason_and_the_rest_accepted(
    rows: list[FixtureRow], results: list
) -> None:
    for row, result in zip(rows, results, strict=True):
        if row.kind == "malformed":
            assert isinstance(result, Rejection) and result.reason_code == row.expected_reason, (
                row.row, result)
        else:
            assert isinstance(result, CleanProfile), (row.row, result)


def test_no_accepted_profile_keeps_any_contact_data(results: list) -> None:
    profiles = [p for p in results if isinstance(p, CleanProfile)]
    leaks = [(p.username, f) for p in profiles for f in TEXT_FIELDS
             if contains_contact_data(getattr(p, f))]
    assert leaks == []
    assert 0.12 <= share([p.contact_data_removed for p in profiles]) <= 0.2


def test_bios_are_varied_multilingual_and_mostly_say_who_the_person_is(
    rows: list[FixtureRow],
) -> None:
    base = [r for r in rows if r.kind == "profile"]
    with_persona = [r for r in base if r.persona]
    assert len({r.row["bio"] for r in with_persona}) / len(with_persona) > 0.97
    assert 0.12 <= share([r.language != "en" for r in base]) <= 0.18
    assert len({r.language for r in base}) >= 8
    assert 0.85 <= share([r.persona is not None for r in base]) <= 0.93
    assert len({r.persona for r in with_persona}) >= 30
    assert any("\n" in (r.row["bio"] or "") for r in base)
    assert any(" | " in (r.row["bio"] or "") for r in base)
    assert any("#" in (r.row["bio"] or "") for r in base)


def test_follower_counts_are_long_tailed_from_nano_to_mega(rows: list[FixtureRow]) -> None:
    followers = sorted(r.row["followers"] for r in rows if r.kind == "profile")
    median = followers[len(followers) // 2]
    assert followers[0] < 1_000 and followers[-1] > 10_000_000
    assert 1_000 <= median <= 30_000
    assert sum(f >= 1_000_000 for f in followers) / len(followers) < 0.1


def test_handles_look_real_and_category_and_links_appear_where_platforms_show_them(
    rows: list[FixtureRow], results: list
) -> None:
    profiles = [p for p in results if isinstance(p, CleanProfile)]
    by_platform = {name: [p for p in profiles if p.platform == name] for name in ("x", "threads")}
    assert share([p.category is not None for p in by_platform["threads"]]) > share(
        [p.category is not None for p in by_platform["x"]])
    links = [p.external_url for p in profiles if p.external_url]
    assert any("linktr.ee" in u for u in links) and any("substack.com" in u for u in links)
    assert any("myshopify.com" in u for u in links)
    assert all(not p.username.isdigit() for p in profiles)


def test_jsonl_and_csv_writers_round_trip_the_rows(tmp_path: Path) -> None:
    data = generate_profiles(60, seed=5)
    assert write_jsonl(data, tmp_path / "p.jsonl") == 60
    lines = (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == data
    assert write_csv(data, tmp_path / "p.csv") == 60
    with (tmp_path / "p.csv").open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert [r["bio"] for r in read] == [d["bio"] or "" for d in data]
    assert tuple(read[0]) == INPUT_FIELDS


def test_unreadable_lines_are_inserted_and_none_of_them_parse(tmp_path: Path) -> None:
    lines = to_jsonl_lines(generate_profiles(40, seed=5))
    corrupted = corrupt_lines(lines, 12, seed=5)
    assert len(corrupted) == 52 and corrupt_lines(lines, 12, seed=5) == corrupted
    broken = []
    for line in corrupted:
        try:
            json.loads(line)
        except ValueError:
            broken.append(line)
    assert len(broken) == 12 and all(line.strip() for line in broken)
    assert write_jsonl(generate_profiles(40, seed=5), tmp_path / "u.jsonl", unreadable=3) == 43


def test_a_handle_whose_numbered_endings_are_all_taken_still_gets_a_unique_one() -> None:
    from sxp_cli.fixture_parts import RowGen, fit_handle

    gen = RowGen(7, datetime(2026, 1, 1, tzinfo=UTC))
    base = "averylonghandle"  # 15 letters: X's limit, so endings replace its last letters
    taken = {base} | {fit_handle(base[:13] + str(n), "x") for n in range(100)}
    gen.used["x"] |= taken
    handle = gen.unique(base, "x")
    assert handle not in taken and fit_handle(handle, "x") == handle
    assert gen.unique(base, "x") == handle  # not yet added: the same answer for the same state

"""The scoring math of `sxp eval labels` on tiny hand-made inputs, and its bad-input handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sxp_cli.eval_labels import (
    ABSTAINED,
    Expectation,
    Outcome,
    leaks,
    outcome_of_preview,
    parse_expectation,
    score_rows,
)
from tests.support.pipeline import sxp

pytestmark = pytest.mark.unit


def expect(persona: list[str], tribe: list[str], industry: list[str] | None = None,
           execution: list[str] | None = None, contact: list[str] | None = None) -> Expectation:
    return parse_expectation({"persona": persona, "tribe": tribe,
                              "industry": industry or ["null"],
                              "execution_label": execution or ["null"],
                              "contact": contact or []})


def given(persona: str | None, tribe: str | None, industry: str | None = None,
          execution: str | None = None, output: object = None) -> Outcome:
    return Outcome({"persona": persona, "tribe": tribe, "industry": industry,
                    "execution_label": execution}, output)


def test_coverage_counts_persona_and_tribe_rows_and_the_ceiling_counts_labelable_rows() -> None:
    report = score_rows([
        (expect(["developer"], ["startups_tech"]), given("developer", "startups_tech")),
        (expect(["creator"], ["null"]), given("creator", None)),
        (expect(["null"], ["null"]), given(None, None)),
        (expect(["coach", "null"], ["fitness_wellness", "null"]), given(None, "fitness_wellness")),
    ])
    assert report.rows == 4
    assert report.coverage == 0.25
    assert report.ceiling == 0.5


def test_agreement_is_the_share_of_given_labels_a_reader_accepts() -> None:
    report = score_rows([
        (expect(["developer"], ["startups_tech"]), given("developer", "startups_tech")),
        (expect(["developer", "founder"], ["ai_data"]), given("founder", "startups_tech")),
        (expect(["creator"], ["null"]), given("creator", "music_entertainment")),
        (expect(["null"], ["null"]), given(None, None)),
    ])
    assert report.dimensions["persona"].given == 3
    assert report.dimensions["persona"].agreement == 1.0
    assert report.dimensions["tribe"].given == 3
    assert report.dimensions["tribe"].agreement == round(1 / 3, 4)
    assert report.dimensions["industry"].agreement is None  # nothing given, nothing to judge


def test_an_abstention_is_a_miss_only_where_null_is_not_accepted() -> None:
    report = score_rows([
        (expect(["creator"], ["null"]), given(None, None)),
        (expect(["creator"], ["gaming_esports"]), given(None, "gaming_esports")),
        (expect(["creator", "null"], ["null"]), given(None, None)),
    ])
    assert report.dimensions["persona"].missed_abstentions == 2
    assert report.dimensions["tribe"].missed_abstentions == 0
    assert ("persona", "creator", ABSTAINED, 2) in report.misses


def test_the_worst_misses_are_counted_and_sorted_by_count() -> None:
    pairs = [(expect(["organization"], ["news_media"]), given("creator", "news_media"))] * 3 + [
        (expect(["developer"], ["startups_tech"]), given("hobbyist", "startups_tech"))]
    report = score_rows(pairs)
    assert report.misses[:2] == (("persona", "organization", "creator", 3),
                                 ("persona", "developer", "hobbyist", 1))


def test_a_contact_string_in_any_output_field_is_a_leak() -> None:
    output = {"lead_card": {"bio": "write me at ana@example.com", "persona": {"evidence": []}}}
    assert leaks(["ana@example.com"], output) == ["lead_card.bio"]
    assert leaks(["ana@example.com"], {"lead_card": {"bio": "[contact removed]"}}) == []
    report = score_rows([(expect(["creator"], ["null"], contact=["212-555-0100"]),
                          given("creator", None, output={"evidence": ["bio:212-555-0100"]}))])
    assert report.leaks == ((1, "evidence[0]"),)


def test_a_rejected_preview_row_abstains_on_every_label() -> None:
    outcome = outcome_of_preview({"line": 3, "rejected": {"reason_code": "invalid_username"}})
    assert outcome.rejected and set(outcome.given.values()) == {None}
    report = score_rows([(expect(["null"], ["null"]), outcome)])
    assert report.rejected == 1 and report.coverage == 0.0


@pytest.mark.parametrize("bad", [None, {"persona": ["creator"]}, {"persona": [], "tribe": ["null"]},
                                 {"persona": ["creator"], "tribe": "sports"},
                                 {"persona": ["creator"], "tribe": ["null"], "contact": "a@b.c"}])
def test_an_expect_object_that_is_not_label_lists_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_expectation(bad)


def test_the_report_serializes_to_plain_json() -> None:
    report = score_rows([(expect(["developer"], ["startups_tech"]), given("developer", None))])
    data = json.loads(json.dumps(report.as_dict()))
    assert data["coverage"] == 0.0 and data["agreement"]["persona"] == 1.0
    assert data["worst_misses"][0] == {"dimension": "tribe", "expected": "startups_tech",
                                       "given": ABSTAINED, "count": 1}


ROW = {"platform": "x", "username": "ana_dev", "display_name": "Ana", "followers": 900,
       "bio": "Backend developer. Go and Postgres. Mail ana.dev@example.com",
       "expect": {"persona": ["developer"], "tribe": ["startups_tech"], "industry": ["technology"],
                  "execution_label": ["FEEDBACK"], "contact": ["ana.dev@example.com"]}}


def test_eval_labels_scores_a_file_through_the_preview_path_as_json(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    result = sxp("eval", "labels", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rows"] == 1 and data["coverage"] == 1.0 and data["pii_leaks"] == []
    assert data["agreement"] == {"persona": 1.0, "tribe": 1.0, "industry": 1.0,
                                 "execution_label": 1.0}


def test_eval_labels_prints_tables_by_default(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    result = sxp("eval", "labels", str(path))
    assert result.returncode == 0, result.stderr
    assert "coverage" in result.stdout and "execution_label" in result.stdout


@pytest.mark.parametrize(("content", "words"), [
    ('{"platform": "x", "username": "a"\n', "line 1: not valid JSON"),
    (json.dumps({"platform": "x", "username": "a"}) + "\n", "line 1: 'expect'"),
    (json.dumps(ROW) + "\n[1, 2]\n", "line 2: not a JSON object"),
    (json.dumps({**ROW, "followers": "many"}) + "\n", "line 1: followers"),
    ("\n", "no labeled profiles"),
])
def test_eval_labels_reports_a_bad_file_in_one_line(tmp_path: Path, content: str,
                                                    words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = sxp("eval", "labels", str(path))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout

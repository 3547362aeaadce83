"""Input reading for publish and preview: typed rows, bad rows with their line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sxp_cli.processes import parse_scale
from sxp_cli.publish import submission_key
from sxp_cli.reader import InputError, read_rows, type_row
from sxp_common.migrations.sql import split_statements

pytestmark = pytest.mark.unit


def test_jsonl_rows_are_typed_and_bad_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"platform": "x", "username": "ana", "followers": "1,204", "verified": "yes"}\n'
        "not json\n"
        "\n"
        '["a list"]\n'
        '{"platform": "tiktok", "username": "bo", "followers": "12k"}\n'
    )
    rows = list(read_rows(path))
    assert [r.line for r in rows] == [1, 2, 4, 5]
    assert rows[0].fields
    assert rows[0].fields["followers"] == 1204 and rows[0].fields["verified"] is True
    assert rows[1].fields is None and "not valid JSON" in (rows[1].error or "")
    assert rows[2].error == "not a JSON object"
    assert rows[3].fields is None and "followers" in (rows[3].error or "")


def test_csv_rows_use_the_header_and_the_platform_option_fills_gaps(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("username,bio,followers\nana,hello,10\nbo,hi,-3\n")
    rows = list(read_rows(path, platform="threads"))
    assert [r.fields["platform"] for r in rows if r.fields] == ["threads", "threads"]
    assert rows[1].fields and rows[1].fields["followers"] == -3  # ingest rejects it, not the reader


def test_a_missing_file_or_unknown_format_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_rows(tmp_path / "nope.jsonl")
    odd = tmp_path / "in.xml"
    odd.write_text("<a/>")
    with pytest.raises(InputError, match="unknown format"):
        read_rows(odd)


def test_empty_strings_become_nulls_and_booleans_are_not_counts() -> None:
    row = type_row({"platform": "x", "username": "a", "bio": "", "verified": ""})
    assert row["bio"] is None and row["verified"] is False
    with pytest.raises(ValueError):
        type_row({"username": "a", "posts": True})


def test_the_partition_key_is_the_normalized_identity() -> None:
    assert submission_key({"platform": "X", "username": " @Ana "}) == "x:ana"
    assert submission_key({"platform": "Twitter", "username": "https://x.com/Ana"}) == "x:ana"
    assert submission_key({"platform": "threads", "username": "threads.net/@ana.b"}) == (
        "threads:ana.b")
    assert submission_key({"platform": "MySpace", "username": "@Ana"}) == "myspace:ana"


def test_scale_pairs_are_parsed_and_unknown_services_refused() -> None:
    assert parse_scale(["ingest=3", "card_factory=2"]) == {"ingest": 3, "card-factory": 2}
    with pytest.raises(ValueError, match="unknown service"):
        parse_scale(["mailer=1"])
    with pytest.raises(ValueError, match="SERVICE=N"):
        parse_scale(["ingest"])


def test_sql_scripts_split_on_statement_ends_but_keep_function_bodies_whole() -> None:
    script = """CREATE TABLE a (x int);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'no';
END $$;
GRANT SELECT ON a TO b;"""
    statements = split_statements(script)
    assert len(statements) == 3
    assert "RAISE EXCEPTION 'no';" in statements[1]

"""ingest → card-factory → labeler end to end, against the real local Kafka and Postgres."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.ingest.domain import Rejection, validate_submission
from sxp_cli.demo import is_drained
from sxp_cli.fixtures import generate_profiles, write_jsonl
from sxp_cli.processes import services_up
from sxp_cli.publish import PublishReport, publish_file
from sxp_cli.reader import read_rows
from sxp_common.redaction import contains_contact_data
from sxp_common.topics import (
    DEADLETTER,
    LEADCARDS_LABELED,
    LEADCARDS_STRUCTURED,
    PROFILES_RAW,
    PROFILES_REJECTED,
    PROFILES_SUBMITTED,
)
from tests.support.pipeline import (
    decoded_topic,
    poll,
    query,
    scalar,
    send,
    stored_identities,
    topic_count,
    unseen,
)

pytestmark = pytest.mark.e2e
UNREADABLE_LINES = ("{broken json", "[1, 2]", "not json")


def hundred_per_platform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first 100 rows of each platform, in their original order."""
    taken = {"tiktok": 0, "threads": 0, "x": 0}
    picked = []
    for row in rows:
        platform = str(row.get("platform") or "").lower()
        if platform in taken and taken[platform] < 100:
            taken[platform] += 1
            picked.append(row)
    assert set(taken.values()) == {100}
    return picked


@pytest.fixture(scope="module")
def profiles_file(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 generated profiles (100 per platform) the stack has never seen, whatever other
    modules stored before, plus three unreadable lines at the end."""
    path = tmp_path_factory.mktemp("e2e") / "profiles.jsonl"
    rows = unseen(generate_profiles(600, seed=11), stored_identities(test_stack))
    write_jsonl(hundred_per_platform(rows), path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(UNREADABLE_LINES) + "\n")
    return path


@pytest.fixture(scope="module")
def expected(profiles_file: Path) -> dict[str, Any]:
    """What the file should produce, from the input alone (pure domain, no pipeline)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    rows = [r for r in read_rows(profiles_file) if r.fields]
    accepted, rejected = set(), 0
    for row in rows:
        submission = dict(row.fields, submission_id=str(row.line), job_id="j", source="s",
                          submitted_at=now)
        result = validate_submission(submission, now)
        if isinstance(result, Rejection):
            rejected += 1
        else:
            accepted.add(result.profile_id)
    return {"published": len(rows), "stored": len(accepted), "rejected": rejected}


def pipeline_state(settings: Any, job_id: str) -> dict[str, int]:
    from sxp_cli.demo import pipeline_state as fetch

    return asyncio.run(fetch(settings, job_id))


def job(settings: Any, job_id: str) -> dict[str, Any]:
    rows = query(settings, "SELECT * FROM ops.ingest_job_counts WHERE job_id = $1", job_id)
    return rows[0] if rows else {"received": 0}


def wait_drained(settings: Any, report: PublishReport) -> dict[str, Any]:
    counts = poll(lambda: job(settings, report.job_id), lambda c: c["received"] >= report.published)
    assert counts["received"] == report.published, "ingest did not see every published row in time"
    state = poll(lambda: pipeline_state(settings, report.job_id),
                 lambda s: is_drained(s, report.published))
    assert is_drained(state, report.published), f"pipeline did not drain: {state}"
    return job(settings, report.job_id)


@pytest.fixture(scope="module")
def dead_letters_before(test_stack: Any) -> int:
    """Dead letters on the topic before this module published anything."""
    return topic_count(test_stack, DEADLETTER)


@pytest.fixture(scope="module")
def first_run(test_stack: Any, dead_letters_before: int,
              profiles_file: Path) -> tuple[PublishReport, dict[str, Any]]:
    """Run the services (two ingest instances in one group), publish once, wait for the drain."""
    services_up(test_stack, {"ingest": 2})
    report = asyncio.run(publish_file(profiles_file, test_stack))
    return report, wait_drained(test_stack, report)


JOB_TABLES = ("social.raw_social_profiles", "social.raw_social_profile_versions",
              "execution.lead_cards")


def table_counts(settings: Any, job_id: str) -> dict[str, int]:
    """Rows of one publish job in Tiers 1 and 3, and the Tier 2 rows of its cards."""
    counts = {table: scalar(settings, f"SELECT count(*) FROM {table} WHERE job_id = $1", job_id)
              for table in JOB_TABLES}
    counts["contact.contacts"] = scalar(
        settings, """SELECT count(*) FROM contact.contacts t JOIN execution.lead_cards c
                     USING (lead_card_id) WHERE c.job_id = $1""", job_id)
    counts["contact.businesses"] = scalar(
        settings, """SELECT count(*) FROM contact.businesses b JOIN execution.lead_cards c
                     USING (business_id) WHERE c.job_id = $1""", job_id)
    return counts


def job_records(settings: Any, topic: str, job_id: str) -> list[dict[str, Any]]:
    """The records of one publish job on a topic."""
    return [r for r in decoded_topic(settings, topic) if r.get("job_id") == job_id]


def test_unreadable_rows_are_reported_with_their_line_numbers(first_run, expected) -> None:
    report, _ = first_run
    assert report.published == expected["published"] == 300
    assert [line for line, _ in report.bad_rows] == [301, 302, 303]


def test_every_published_row_is_stored_a_duplicate_or_rejected(first_run, expected) -> None:
    _, counts = first_run
    assert counts["stored"] == expected["stored"]
    assert counts["rejected"] == expected["rejected"] > 0
    assert counts["duplicates"] > 0
    assert counts["stored"] + counts["duplicates"] + counts["rejected"] == counts["received"] == 300
    assert counts["contact_data_removed"] > 0


def test_tables_hold_one_profile_and_one_lead_card_per_identity(test_stack, first_run,
                                                                expected) -> None:
    report, counts = first_run
    tables = table_counts(test_stack, report.job_id)
    assert tables["social.raw_social_profiles"] == expected["stored"]
    assert tables["execution.lead_cards"] == expected["stored"]
    versions = tables["social.raw_social_profile_versions"]
    assert versions == expected["stored"] + counts["new_versions"]
    assert tables["contact.contacts"] == tables["contact.businesses"] == 0


def test_topics_carry_exactly_what_the_pipeline_did(test_stack, dead_letters_before,
                                                     first_run) -> None:
    report, counts = first_run
    versions = counts["stored"] + counts["new_versions"]
    job = report.job_id
    # Delivery is at least once: a batch redelivered after a rebalance announces its
    # rejections and versions again, so each fact is counted once, by its own id.
    assert len(job_records(test_stack, PROFILES_SUBMITTED, job)) == report.published
    rejected = {r["submission_id"] for r in job_records(test_stack, PROFILES_REJECTED, job)}
    assert len(rejected) == counts["rejected"]
    raw = {(r["profile_id"], r["version"]) for r in job_records(test_stack, PROFILES_RAW, job)}
    assert len(raw) == versions
    assert topic_count(test_stack, DEADLETTER) == dead_letters_before
    for topic in (LEADCARDS_STRUCTURED, LEADCARDS_LABELED):
        ids = {r["lead_card_id"] for r in job_records(test_stack, topic, job)}
        assert len(ids) == counts["stored"], topic


def test_every_stored_profile_became_a_labeled_lead_card_with_enough_coverage(test_stack,
                                                                              first_run) -> None:
    cards = query(test_stack, "SELECT * FROM execution.lead_cards WHERE job_id = $1",
                  first_run[0].job_id)
    assert cards and all(c["readiness"] in ("STRUCTURED", "LABELED") for c in cards)
    covered = [c for c in cards if c["persona"] and c["tribe"]]
    assert len(covered) / len(cards) >= 0.8
    assert all(c["readiness"] == "LABELED" for c in covered)
    assert all(c["execution_label"] for c in cards if c["persona"])
    assert all(c["audience_pool"].startswith(c["platform"] + ".") for c in cards)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def test_no_email_or_phone_reaches_tier1_tier3_or_any_downstream_topic(test_stack, first_run,
                                                                       profiles_file) -> None:
    source_rows = [json.loads(line) for line in profiles_file.read_text().splitlines()[:300]]
    # the input has some
    assert sum(contains_contact_data(r.get("bio") or "") for r in source_rows) >= 30
    leaked = []
    job = first_run[0].job_id
    for table in ("social.raw_social_profiles", "execution.lead_cards"):
        for row in query(test_stack, f"SELECT * FROM {table} WHERE job_id = $1", job):
            leaked += [(table, s) for s in _strings(row) if contains_contact_data(s)]
    for topic in (PROFILES_RAW, PROFILES_REJECTED, LEADCARDS_STRUCTURED, LEADCARDS_LABELED):
        for record in job_records(test_stack, topic, job):
            leaked += [(topic, s) for s in _strings(record) if contains_contact_data(s)]
    assert leaked == []


def test_republishing_the_same_file_adds_nothing(test_stack, first_run, profiles_file) -> None:
    first = first_run[0].job_id
    before_tables = table_counts(test_stack, first)
    before_topics = {t: topic_count(test_stack, t) for t in (PROFILES_RAW, LEADCARDS_STRUCTURED,
                                                             LEADCARDS_LABELED)}
    report = asyncio.run(publish_file(profiles_file, test_stack))
    counts = wait_drained(test_stack, report)
    assert counts["stored"] == 0 and counts["new_versions"] == 0
    assert counts["duplicates"] + counts["rejected"] == report.published
    assert table_counts(test_stack, first) == before_tables
    assert table_counts(test_stack, report.job_id) == dict.fromkeys(before_tables, 0)
    after_topics = {t: topic_count(test_stack, t) for t in before_topics}
    assert after_topics == before_topics


def test_an_undecodable_message_is_dead_lettered_and_its_partition_moves_on(test_stack, first_run,
                                                                            tmp_path) -> None:
    from sxp_common.kafka import Outgoing

    garbage = b"\x00not avro " + uuid.uuid4().hex.encode()  # this test's own bytes
    username = f"garbage{uuid.uuid4().hex[:6]}"  # x allows 15 characters
    send(test_stack, [Outgoing(PROFILES_SUBMITTED, f"x:{username}", garbage)])
    follow_up = tmp_path / "one.jsonl"
    follow_up.write_text(json.dumps({"platform": "x", "username": username,
                                     "bio": "Chef and food blogger"}) + "\n")
    report = asyncio.run(publish_file(follow_up, test_stack))
    wait_drained(test_stack, report)
    dead = [d for d in decoded_topic(test_stack, DEADLETTER) if d["value"] == garbage]
    assert [(d["service"], d["reason_code"], d["value"]) for d in dead] == [("ingest", "not_avro",
                                                                             garbage)]
    assert scalar(test_stack,
                  "SELECT count(*) FROM social.raw_social_profiles WHERE username = $1",
                  username) == 1


def test_sigterm_lets_every_service_finish_and_exit_cleanly(test_stack, first_run) -> None:
    from sxp_cli.processes import instances, services_down

    running = [i for i in instances(test_stack) if i.alive]
    assert {i.service for i in running} >= {"ingest", "card-factory", "labeler"}
    sizes = {i.log: i.log.stat().st_size for i in running}
    assert services_down(test_stack) == len(running)
    for instance in running:
        tail = instance.log.read_bytes()[sizes[instance.log]:].decode(errors="replace")
        name = f"{instance.service}-{instance.index}"
        assert '"msg": "stopped"' in tail, f"{name} did not drain and stop"
    assert not [i for i in instances(test_stack) if i.alive]

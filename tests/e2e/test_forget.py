"""`sxp forget`: a person who went all the way through enrichment and handoff leaves no trace
in any table, the platforms are told, and the identity is refused when published again."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from sxp_common.audit import sha256_of
from sxp_common.kafka import Outgoing
from sxp_common.topics import ERASURES, PROFILES_REJECTED, PROFILES_SUBMITTED
from tests.support.pipeline import (
    decoded_topic,
    enrich_all_allowed,
    fresh_profiles,
    poll,
    publish_and_label,
    query,
    scalar,
    send,
    sxp,
)

pytestmark = pytest.mark.e2e
TEXT_COLUMNS = """
SELECT table_schema, table_name, column_name FROM information_schema.columns
 WHERE table_schema IN ('social', 'execution', 'contact', 'enrichment', 'audit', 'ops',
                        'compliance', 'audience')
   AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')"""


def occurrences(settings: Any, needle: str) -> list[str]:
    """`schema.table.column` of every text-like column holding the needle (any case)."""
    found = []
    for c in query(settings, TEXT_COLUMNS):
        column = f'{c["table_schema"]}.{c["table_name"]}."{c["column_name"]}"'
        sql = (f'SELECT count(*) FROM {c["table_schema"]}.{c["table_name"]} '
               f'WHERE "{c["column_name"]}"::text ILIKE $1')
        if scalar(settings, sql, f"%{needle}%"):
            found.append(column)
    return found


@pytest.fixture(scope="module")
def subject(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One of our people, enriched (contact and business) and handed off on the queue."""
    services_up(test_stack, {})
    rows = fresh_profiles(test_stack, 150, seed=53)
    path = tmp_path_factory.mktemp("forget") / "profiles.jsonl"
    write_jsonl(rows, path)
    job_id = publish_and_label(test_stack, path).job_id
    enrich_all_allowed(test_stack)
    candidates = query(test_stack, """
        SELECT c.platform, c.username, p.display_name, k.email, k.phone, c.lead_card_id::text AS id
          FROM execution.lead_cards c JOIN social.raw_social_profiles p USING (profile_id)
          JOIN contact.contacts k ON k.contact_id = c.contact_id
         WHERE c.job_id = $1 AND c.enrichment_status = 'ENRICHED' AND k.email IS NOT NULL
           AND EXISTS (SELECT 1 FROM execution.handoff_items i
                        WHERE i.lead_card_id = c.lead_card_id)
         ORDER BY c.lead_card_id""", job_id)
    # A person whose name, handle and contact values are theirs alone on the stack, so any
    # occurrence left after the erasure is a trace of them.
    for person in candidates:
        needles = [v for v in (person["username"], person["display_name"], person["email"],
                               person["phone"]) if v]
        if all(unique(test_stack, person, n) for n in needles):
            row = next(r for r in rows if r["username"].lstrip("@").lower() == person["username"])
            before = {n: occurrences(test_stack, n) for n in needles}
            assert all(before.values()), before  # the scan finds each of them before
            return {**person, "needles": needles, "row": row, "before": before}
    pytest.fail("no enriched, handed-off person of our job to forget")


def unique(settings: Any, person: dict[str, Any], needle: str) -> bool:
    others = scalar(settings, """SELECT count(*) FROM social.raw_social_profiles
                                 WHERE (username ILIKE $1 OR display_name ILIKE $1
                                        OR bio ILIKE $1) AND username <> $2""",
                    f"%{needle}%", person["username"])
    shared = scalar(settings, """SELECT count(*) FROM contact.contacts k
                                 JOIN execution.lead_cards c ON c.contact_id = k.contact_id
                                 WHERE (k.email ILIKE $1 OR k.phone ILIKE $1 OR
                                        k.full_name ILIKE $1) AND c.username <> $2""",
                    f"%{needle}%", person["username"])
    # A business other cards point at is theirs too and stays (an organization, not a person).
    business = scalar(settings, """SELECT count(*) FROM contact.businesses b
                                   JOIN execution.lead_cards c ON c.business_id = b.business_id
                                   WHERE (b.name ILIKE $1 OR b.phone ILIKE $1)
                                     AND c.username <> $2""", f"%{needle}%", person["username"])
    return others == 0 and shared == 0 and business == 0


def audience_size(name: str) -> int:
    result = sxp("audience", "size", name, "--json")
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["members"])


@pytest.fixture(scope="module")
def audience(test_stack: Any, subject: dict[str, Any]) -> dict[str, Any]:
    """An audience made through the audience service that admits the subject (its platform,
    pool and execution label), qualified, so the subject is a member and has a score."""
    card = query(test_stack, """SELECT platform, audience_pool, execution_label
                                FROM execution.lead_cards WHERE lead_card_id = $1::uuid""",
                 subject["id"])[0]
    name = f"forget-{uuid.uuid4().hex[:10]}"
    criteria = {"platform": card["platform"], "audience_pool": card["audience_pool"],
                "execution_label": card["execution_label"]}
    created = sxp("audience", "create", name, "--criteria", json.dumps(criteria), "--json")
    assert created.returncode == 0, created.stderr
    qualified = sxp("audience", "qualify", name, "--json")
    assert qualified.returncode == 0, qualified.stderr
    audience_id = json.loads(created.stdout)["audience_id"]
    for table in ("members", "qualifications"):
        assert scalar(test_stack, f"""SELECT count(*) FROM audience.{table}
                                      WHERE audience_id = $1::uuid AND lead_card_id = $2::uuid""",
                      audience_id, subject["id"]) == 1, table
    return {"name": name, "audience_id": audience_id, "size": audience_size(name)}


def person_bytes(subject: dict[str, Any]) -> bytes:
    """The subject's profile as a misconfigured client sends it: JSON, not Avro, with the
    contact value the enrichment found."""
    return json.dumps({**subject["row"], "bio": f"mail {subject['email']}"},
                      default=str).encode()


@pytest.fixture(scope="module")
def dead_letters(test_stack: Any, subject: dict[str, Any]) -> dict[str, Any]:
    """The subject's profile, and a stranger's, sent as JSON under the key `sxp publish`
    gives them: ingest dead-letters both (not_avro), keeping the bytes for a redrive."""
    stranger = f"stranger{uuid.uuid4().hex[:8]}"
    ours = person_bytes(subject)
    theirs = json.dumps({"platform": "x", "username": stranger}).encode()
    send(test_stack, [Outgoing(PROFILES_SUBMITTED, f"{subject['platform']}:{subject['username']}",
                               ours),
                      Outgoing(PROFILES_SUBMITTED, f"x:{stranger}", theirs)])
    wanted = {sha256_of(ours): "ours", sha256_of(theirs): "theirs"}
    found = poll(lambda: {wanted[d["sha256"]]: d for d in listed("--service", "ingest")
                          if d["sha256"] in wanted}, lambda f: len(f) == 2, 60)
    assert len(found) == 2 and found["ours"]["reason_code"] == "not_avro", found
    return found


def listed(*args: str) -> list[dict[str, Any]]:
    result = sxp("deadletter", "list", *args, "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


@pytest.fixture(scope="module")
def forgotten(test_stack: Any, subject: dict[str, Any], audience: dict[str, Any],
              dead_letters: dict[str, Any]) -> dict[str, Any]:
    result = sxp("forget", "--platform", subject["platform"], "--username", subject["username"],
                 "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_table_holds_the_persons_handle_name_or_contact_values(test_stack, subject,
                                                                  forgotten) -> None:
    assert forgotten["erased"]["profiles"] == 1 and forgotten["erased"]["lead_cards"] == 1
    assert forgotten["erased"]["contacts"] == 1
    assert forgotten["erased"]["audience_members"] == 1
    assert forgotten["erased"]["audience_qualifications"] == 1
    assert forgotten["erased"]["staged_dead_letters"] == 0  # relayed before the erasure
    for needle in subject["needles"]:
        assert occurrences(test_stack, needle) == [], needle


def test_no_audience_row_refers_to_them_and_the_audience_is_one_smaller(
        test_stack, subject, audience, forgotten) -> None:
    for table in ("members", "qualifications"):
        assert scalar(test_stack, f"""SELECT count(*) FROM audience.{table}
                                      WHERE lead_card_id = $1::uuid""", subject["id"]) == 0
    assert audience_size(audience["name"]) == audience["size"] - 1


def test_the_dead_letter_holding_them_is_marked_erased_and_never_redriven(
        test_stack, dead_letters, forgotten) -> None:
    assert forgotten["erased"]["dead_letters"] == 1
    marked = {d["id"]: d["erased"] for d in listed("--service", "ingest")}
    assert marked[dead_letters["ours"]["id"]] is True
    assert marked[dead_letters["theirs"]["id"]] is False
    result = sxp("deadletter", "redrive", "--service", "ingest", "--reason", "not_avro",
                 "--again", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert dead_letters["ours"]["id"] not in plan["ids"]
    assert dead_letters["theirs"]["id"] in plan["ids"] and plan["skipped"]["erased"] >= 1


def test_the_platforms_get_an_erasure_notice_without_personal_data(test_stack, subject,
                                                                   forgotten) -> None:
    notices = poll(lambda: [n for n in decoded_topic(test_stack, ERASURES)
                            if n["erasure_id"] == forgotten["request_id"]], bool, 60)
    assert notices[0]["lead_card_ids"] == [subject["id"]]
    assert notices[0]["subject_hash"] == forgotten["subject_hash"]
    assert subject["username"] not in json.dumps(notices[0], default=str)


def test_the_erasure_is_audited_with_the_keyed_hash_only(test_stack, subject, forgotten) -> None:
    rows = poll(lambda: query(test_stack, """SELECT * FROM audit.audit_log
                                             WHERE event_type = 'subject_erased'"""),
                lambda found: any(forgotten["subject_hash"] in str(r["details"]) for r in found),
                60)
    ours = [r for r in rows if forgotten["subject_hash"] in str(r["details"])]
    assert ours[0]["lead_card_count"] == 0
    assert all(n not in json.dumps(dict(ours[0]), default=str) for n in subject["needles"])


def test_the_identity_is_refused_when_published_again(test_stack, subject, forgotten,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "again.jsonl"
    write_jsonl([subject["row"]], path)
    result = sxp("publish", str(path), "--json")
    assert result.returncode == 0, result.stderr
    job_id = json.loads(result.stdout.strip().splitlines()[-1])["job_id"]
    rejected = poll(lambda: [r for r in decoded_topic(test_stack, PROFILES_REJECTED)
                             if r.get("job_id") == job_id], bool, 60)
    assert rejected[0]["reason_code"] == "suppressed"
    assert scalar(test_stack, "SELECT count(*) FROM social.raw_social_profiles WHERE username = $1",
                  subject["username"]) == 0


def test_retention_drops_the_mark_once_the_dead_letter_has_left_the_topic(
        test_stack, dead_letters, forgotten) -> None:
    # Last in the module: only the clock is faked, the mark aged past the dead-letter age
    # and a segment roll (the record itself would be gone from the topic by then).
    letter = dead_letters["ours"]["id"]
    aged = datetime.now(UTC) - timedelta(days=test_stack.retention_deadletter_days + 2)
    query(test_stack, """UPDATE compliance.erased_dead_letters SET marked_at = $2
                         WHERE dead_letter_id = $1""", letter, aged)
    result = sxp("retention", "run", "--json")
    assert result.returncode == 0, result.stderr
    deleted = json.loads(result.stdout)["deleted"]["dead_letters"]
    assert deleted["erased_dead_letter_marks"] == 1
    assert scalar(test_stack, """SELECT count(*) FROM compliance.erased_dead_letters
                                 WHERE request_id = $1""", forgotten["request_id"]) == 0

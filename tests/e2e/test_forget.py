"""`sxp forget`: a person who went all the way through enrichment and handoff leaves no trace
in any table, the platforms are told, and the identity is refused when published again."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from sxp_common.topics import ERASURES, PROFILES_REJECTED
from tests.support.pipeline import (
    decoded_topic,
    enrich_all_allowed,
    fresh_profiles,
    poll,
    publish_and_label,
    query,
    scalar,
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


def audience_rows(settings: Any, subject: dict[str, Any]) -> None:
    """The subject as a member of an audience and qualified for it, with its name quoted in
    the reasons. The audience service is not on this branch yet, so the rows are written as
    the owner, in the shape migration 0009 gives them (qualifications have no foreign key:
    only an explicit delete removes them)."""
    audience = str(uuid.uuid4())
    digest = "0" * 64
    query(settings, """INSERT INTO audience.audiences (audience_id, name, criteria, criteria_hash)
                       VALUES ($1::uuid, $2, '{}'::jsonb, $3)""",
          audience, f"forget-{audience[:8]}", digest)
    query(settings, """INSERT INTO audience.members (audience_id, lead_card_id, criteria_hash,
                       card_revision) VALUES ($1::uuid, $2::uuid, $3, 1)""",
          audience, subject["id"], digest)
    query(settings, """INSERT INTO audience.qualifications (audience_id, lead_card_id,
                       content_hash, criteria_hash, cache_key, score, reasons, scorer)
                       VALUES ($1::uuid, $2::uuid, $3, $3, $4, 0.9, $5::jsonb, 'test')""",
          audience, subject["id"], digest, f"forget-{audience}",
          json.dumps({"evidence": subject["needles"][:2]}))


@pytest.fixture(scope="module")
def forgotten(test_stack: Any, subject: dict[str, Any]) -> dict[str, Any]:
    audience_rows(test_stack, subject)
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
    for needle in subject["needles"]:
        assert occurrences(test_stack, needle) == [], needle


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

"""`sxp retention run`: rows past their configured age go, rows younger stay, nothing else
changes, and the run is audited by counts.

Our rows come through the real flow (publish, label, enrich, hand off). Only the clock is
faked: the test ages some of them by setting their timestamps as the owner (a year does not
pass in a test), some just past their age and some just short of it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from sxp_common.batch_checksum import checksum_of
from tests.support.pipeline import (
    enrich_all_allowed,
    fresh_profiles,
    poll,
    publish_and_label,
    query,
    scalar,
    sxp,
)

pytestmark = pytest.mark.e2e
MARGIN = timedelta(days=10)
# Each table's rows by id, to see exactly which rows a run deleted.
TABLES = {
    "profiles": "SELECT profile_id::text AS id FROM social.raw_social_profiles",
    "lead_cards": "SELECT lead_card_id::text AS id FROM execution.lead_cards",
    "contacts": "SELECT contact_id::text AS id FROM contact.contacts",
    "businesses": "SELECT business_id::text AS id FROM contact.businesses",
    "provider_responses": """SELECT lead_card_id::text || '/' || idempotency_key AS id
                               FROM contact.provider_responses""",
    "handoff_items": """SELECT lead_card_id::text || '/' || transport || '/' || revision AS id
                          FROM execution.handoff_items""",
}


def snapshot(settings: Any) -> dict[str, set[str]]:
    return {table: {r["id"] for r in query(settings, sql)} for table, sql in TABLES.items()}


def retention(*args: str) -> dict[str, Any]:
    result = sxp("retention", "run", *args, "--json")
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def ids(cards: list[dict[str, Any]], key: str) -> list[uuid.UUID]:
    return [uuid.UUID(c[key]) for c in cards if c[key]]


@pytest.fixture(scope="module")
def cards(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Our enriched, handed-off cards with their contact, business and profile."""
    services_up(test_stack, {})
    path = tmp_path_factory.mktemp("retention") / "profiles.jsonl"
    write_jsonl(fresh_profiles(test_stack, 320, seed=61), path)
    job_id = publish_and_label(test_stack, path).job_id
    enrich_all_allowed(test_stack)
    found = query(test_stack, """
        SELECT c.lead_card_id::text AS card, c.profile_id::text AS profile,
               c.contact_id::text AS contact, c.business_id::text AS business, k.email
          FROM execution.lead_cards c JOIN contact.contacts k ON k.contact_id = c.contact_id
         WHERE c.job_id = $1 AND c.enrichment_status = 'ENRICHED'
           AND EXISTS (SELECT 1 FROM contact.provider_responses r
                        WHERE r.lead_card_id = c.lead_card_id)
         ORDER BY c.lead_card_id""", job_id)
    assert len(found) >= 8, f"only {len(found)} enriched cards of our job"
    # The exporter hands enriched cards off by itself: wait until our first eight went out,
    # their contact values inside the stored batch documents.
    handed = poll(lambda: [c for c in found[:8] if documents_holding(test_stack, c["contact"])],
                  lambda done: len(done) == 8, 120)
    assert len(handed) == 8, "the exporter did not hand off our enriched cards in time"
    return found


def documents_holding(settings: Any, needle: str) -> int:
    """Stored Lead Card Batch documents whose text holds the needle."""
    return int(scalar(settings, """SELECT count(*) FROM execution.handoff_batches
                                   WHERE document ILIKE $1""", f"%{needle}%"))


@pytest.fixture(scope="module")
def aged(test_stack: Any, cards: list[dict[str, Any]]) -> dict[str, Any]:
    """Two cards per rule just past its age and one per rule just short of it."""
    now = datetime.now(UTC)
    old = {"unseen": now - timedelta(days=test_stack.retention_unseen_days) - MARGIN,
           "tier2": now - timedelta(days=test_stack.retention_tier2_days) - MARGIN,
           "answers": now - timedelta(days=test_stack.retention_provider_responses_days) - MARGIN}
    young = {rule: at + 2 * MARGIN for rule, at in old.items()}
    groups = {"unseen": cards[0:2], "tier2": cards[2:4], "answers": cards[4:6],
              "young": cards[6:8]}
    for stamps, group in ((old, "unseen"), (young, "young")):
        query(test_stack, "UPDATE social.raw_social_profiles SET last_seen = $2 "
                          "WHERE profile_id = ANY($1::uuid[])",
              ids(groups[group], "profile"), stamps["unseen"])
    for stamps, group in ((old, "tier2"), (young, "young")):
        query(test_stack, "UPDATE contact.contacts SET updated_at = $2 "
                          "WHERE contact_id = ANY($1::uuid[])",
              ids(groups[group], "contact"), stamps["tier2"])
    for stamps, group in ((old, "answers"), (young, "young")):
        query(test_stack, "UPDATE contact.provider_responses SET fetched_at = $2 "
                          "WHERE lead_card_id = ANY($1::uuid[])",
              ids(groups[group], "card"), stamps["answers"])
    return groups


@pytest.fixture(scope="module")
def ran(test_stack: Any, aged: dict[str, Any]) -> dict[str, Any]:
    before = snapshot(test_stack)
    dry = retention("--dry-run")
    after_dry = snapshot(test_stack)
    answer = retention()
    return {"before": before, "dry": dry, "after_dry": after_dry, "answer": answer,
            "after": snapshot(test_stack)}


def gone(ran: dict[str, Any], table: str) -> set[str]:
    return ran["before"][table] - ran["after"][table]


def test_a_dry_run_deletes_nothing_and_counts_what_the_run_then_deletes(ran) -> None:
    assert ran["dry"]["dry_run"] is True
    assert all(ran["after_dry"][t] >= ran["before"][t] for t in TABLES)
    assert ran["dry"]["deleted"] == ran["answer"]["deleted"]


def test_profiles_not_seen_for_the_age_go_with_their_cards_and_all_below(ran, aged) -> None:
    unseen = aged["unseen"]
    assert gone(ran, "profiles") == {c["profile"] for c in unseen}
    assert gone(ran, "lead_cards") == {c["card"] for c in unseen}
    assert {i.split("/")[0] for i in gone(ran, "handoff_items")} == {c["card"] for c in unseen}
    assert ran["answer"]["deleted"]["unseen"]["profiles"] == len(unseen)


def test_tier2_rows_past_their_age_go_and_their_cards_stay_unlinked(test_stack, ran,
                                                                    aged) -> None:
    expected = {c["contact"] for c in aged["unseen"] + aged["tier2"]}
    assert gone(ran, "contacts") == expected
    rows = query(test_stack, """SELECT contact_id FROM execution.lead_cards
                                WHERE lead_card_id = ANY($1::uuid[])""",
                 ids(aged["tier2"], "card"))
    assert len(rows) == len(aged["tier2"]) and all(r["contact_id"] is None for r in rows)
    # Only businesses nobody points at any more may go, and only with a card of ours.
    ours = {c["business"] for c in aged["unseen"] + aged["tier2"] if c["business"]}
    assert gone(ran, "businesses") <= ours


def test_tier2_values_past_their_age_leave_the_stored_batch_documents(test_stack, ran,
                                                                     aged) -> None:
    for card in aged["tier2"]:
        assert documents_holding(test_stack, card["contact"]) == 0
        still_someones = scalar(test_stack, "SELECT count(*) FROM contact.contacts "
                                            "WHERE email = $1", card["email"])
        if card["email"] and not still_someones:
            assert documents_holding(test_stack, card["email"]) == 0, "email left in a document"
    for card in aged["young"] + aged["answers"]:
        assert documents_holding(test_stack, card["contact"]) >= 1
    assert ran["answer"]["deleted"]["tier2"]["handoff_documents"] >= 1
    rewritten = query(test_stack, """SELECT document, checksum FROM execution.handoff_batches
                                     WHERE document LIKE '%expired_tier2_cards%'""")
    assert rewritten
    for row in rewritten:
        document = json.loads(row["document"])
        assert row["checksum"] == document["checksum"] == checksum_of(document["cards"])
        assert document["count"] == len(document["cards"])


def test_provider_answers_past_their_age_go(test_stack, ran, aged) -> None:
    remaining = scalar(test_stack, """SELECT count(*) FROM contact.provider_responses
                                      WHERE lead_card_id = ANY($1::uuid[])""",
                       ids(aged["answers"] + aged["unseen"], "card"))
    assert remaining == 0
    assert ran["answer"]["deleted"]["provider_responses"]["provider_responses"] >= 1


def test_rows_younger_than_their_age_stay_and_nothing_else_is_deleted(test_stack, ran,
                                                                      aged) -> None:
    young = aged["young"] + aged["answers"] + aged["tier2"]
    assert not gone(ran, "profiles") & {c["profile"] for c in young}
    assert not gone(ran, "lead_cards") & {c["card"] for c in young}
    assert not gone(ran, "contacts") & {c["contact"] for c in aged["young"] + aged["answers"]}
    kept = scalar(test_stack, """SELECT count(*) FROM contact.provider_responses
                                 WHERE lead_card_id = ANY($1::uuid[])""",
                  ids(aged["young"] + aged["tier2"], "card"))
    assert kept >= len(aged["young"] + aged["tier2"])
    answered = {r.split("/")[0] for r in gone(ran, "provider_responses")}
    assert answered == {c["card"] for c in aged["unseen"] + aged["answers"]}
    counted = (ran["answer"]["deleted"]["unseen"].get("provider_responses", 0)
               + ran["answer"]["deleted"]["provider_responses"]["provider_responses"])
    assert len(gone(ran, "provider_responses")) == counted


def test_the_run_is_audited_by_counts(test_stack, ran) -> None:
    request_id = ran["answer"]["request_id"]
    rows = poll(lambda: query(test_stack, """SELECT details FROM audit.audit_log
                                             WHERE event_type = 'retention_applied'"""),
                lambda found: any(request_id in str(r["details"]) for r in found), 60)
    details = next(json.loads(r["details"]) if isinstance(r["details"], str) else r["details"]
                   for r in rows if request_id in str(r["details"]))
    assert details["rows:unseen:profiles"] == str(ran["answer"]["deleted"]["unseen"]["profiles"])
    assert details["rows:tier2:contacts"] == str(ran["answer"]["deleted"]["tier2"]["contacts"])
    # No dry run is audited: nothing was deleted.
    assert not any(ran["dry"]["request_id"] in str(r["details"]) for r in rows)

"""The compliance service's pure core: which commands it carries out, and what is past its
age given the time and the configured ages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.compliance.domain import (
    RetentionAges,
    check_command,
    cutoff,
    dead_letter_refs,
    dead_letter_seen,
    document_without,
    document_without_tier2,
    flat_counts,
    marks_cutoff,
    past_age,
    retention_cutoffs,
    subject_refs,
)
from sxp_common import avro
from sxp_common.batch_checksum import checksum_of
from sxp_common.errors import Unprocessable
from sxp_common.hashing import sha256_hex
from sxp_common.kafka import InboundRecord, dead_letter
from sxp_common.topics import LEADCARDS_LABELED, PROFILES_SUBMITTED

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
AGES = RetentionAges(tier2_days=365, provider_responses_days=90, unseen_days=180)


def test_a_row_older_than_its_age_is_past_it_and_a_younger_one_is_not() -> None:
    limits = retention_cutoffs(NOW, AGES)
    assert past_age(NOW - timedelta(days=366), limits["tier2"])
    assert not past_age(NOW - timedelta(days=364), limits["tier2"])
    assert past_age(NOW - timedelta(days=91), limits["provider_responses"])
    assert not past_age(NOW - timedelta(days=89), limits["provider_responses"])
    assert past_age(NOW - timedelta(days=181), limits["unseen"])
    assert not past_age(NOW - timedelta(days=179), limits["unseen"])


def test_a_row_exactly_at_its_age_is_kept() -> None:
    limit = cutoff(NOW, 90)
    assert limit == NOW - timedelta(days=90)
    assert not past_age(limit, limit)
    assert past_age(limit - timedelta(microseconds=1), limit)


def test_an_age_of_zero_or_less_keeps_rows_forever() -> None:
    limits = retention_cutoffs(NOW, RetentionAges(0, -1, 0))
    assert limits == {"unseen": None, "tier2": None, "provider_responses": None,
                      "dead_letters": None}
    assert marks_cutoff(limits["dead_letters"]) is None
    assert not past_age(datetime(1970, 1, 1, tzinfo=UTC), limits["tier2"])


def test_fractional_days_are_honoured() -> None:
    assert cutoff(NOW, 0.5) == NOW - timedelta(hours=12)


def test_audit_details_name_each_rule_and_table_with_counts_only() -> None:
    deleted = {"unseen": {"profiles": 2, "lead_cards": 1}, "tier2": {"contacts": 3},
               "provider_responses": {}}
    assert flat_counts(deleted) == {"rows:unseen:profiles": 2, "rows:unseen:lead_cards": 1,
                                    "rows:tier2:contacts": 3}


def test_a_retention_command_needs_no_identity_and_a_forget_needs_a_hash() -> None:
    check_command({"kind": "RETENTION", "identity_hash": ""})
    check_command({"kind": "FORGET", "identity_hash": "ab" * 32})
    with pytest.raises(Unprocessable):
        check_command({"kind": "FORGET", "identity_hash": ""})
    with pytest.raises(Unprocessable):
        check_command({"kind": "PURGE_ALL", "identity_hash": ""})


def test_dead_letters_keep_their_own_age_and_marks_a_segment_roll_longer() -> None:
    limits = retention_cutoffs(NOW, RetentionAges(365, 90, 180, deadletter_days=30))
    assert limits["dead_letters"] == NOW - timedelta(days=30)
    assert marks_cutoff(limits["dead_letters"]) == NOW - timedelta(days=31)


def card(card_id: str, contact: str | None, business: str | None,
         readiness: str = "ENRICHED") -> dict[str, Any]:
    return {"lead_card_id": card_id, "readiness": readiness, "username": f"user_{card_id}",
            "lineage": {"profile_id": f"p{card_id}", "contact_id": contact,
                        "business_id": business},
            "contact": None if contact is None else {"contact_id": contact,
                                                     "email": f"{card_id}@example.com"},
            "business": None if business is None else {"business_id": business,
                                                       "phone": "+1 555 0100"}}


def document(*cards: dict[str, Any]) -> str:
    listed = list(cards)
    return json.dumps({"batch_id": "b", "count": len(listed), "checksum": checksum_of(listed),
                       "cards": listed})


def test_expired_tier2_values_leave_the_document_and_its_checksum_follows() -> None:
    text, checksum, changed = document_without_tier2(
        document(card("1", "c1", "b1"), card("2", "c2", None), card("3", "c3", "b3")),
        contact_ids={"c1", "c2"}, business_ids=set())
    after = json.loads(text)
    assert changed == 2 and after["expired_tier2_cards"] == 2
    # Card 1 keeps its business, card 2 is left with nothing and goes, card 3 is untouched.
    assert [c["lead_card_id"] for c in after["cards"]] == ["1", "3"]
    assert after["cards"][0]["contact"] is None
    assert after["cards"][0]["lineage"]["contact_id"] is None
    assert after["cards"][0]["business"]["business_id"] == "b1"
    assert after["cards"][1] == card("3", "c3", "b3")
    assert "c1@example.com" not in text and "c2@example.com" not in text
    assert after["count"] == 2 and checksum == after["checksum"] == checksum_of(after["cards"])


def test_a_document_without_expired_values_is_left_as_it_was() -> None:
    original = document(card("1", "c1", "b1"))
    text, _, changed = document_without_tier2(original, {"c9"}, {"b9"})
    assert changed == 0 and json.loads(text) == json.loads(original)


def test_an_erasure_takes_the_card_out_through_the_same_rewrite() -> None:
    text, checksum, removed = document_without(document(card("1", "c1", None),
                                                        card("2", "c2", None)), {"1"})
    after = json.loads(text)
    assert removed == 1 and after["erased_cards"] == 1 and after["count"] == 1
    assert checksum == checksum_of(after["cards"]) and "expired_tier2_cards" not in after


def submission(username: str) -> bytes:
    return avro.encode(PROFILES_SUBMITTED, {
        "submission_id": "s1", "job_id": "j1", "source": "test", "submitted_at": NOW,
        "platform": "tiktok", "username": username})


def test_a_dead_letter_names_its_subject_by_key_or_by_the_ids_inside() -> None:
    identity = sha256_hex("tiktok:jane_doe")
    subject = subject_refs(identity, ["p-1", "card-1", None])
    # A submission that never decoded: only its key, the identity ingest derives, names it.
    assert dead_letter_refs(PROFILES_SUBMITTED, b"tiktok:jane_doe", b"{json}") & subject
    assert not dead_letter_refs(PROFILES_SUBMITTED, b"tiktok:john", b"{json}") & subject
    # One that decodes names it by its fields, whatever its key.
    assert dead_letter_refs(PROFILES_SUBMITTED, b"other", submission("@Jane_Doe")) & subject
    # Downstream topics: the key is a card (or profile) id.
    assert dead_letter_refs(LEADCARDS_LABELED, b"card-1", b"junk") & subject
    assert not dead_letter_refs(LEADCARDS_LABELED, b"card-2", b"junk") & subject
    assert dead_letter_refs("not.a.project.topic", None, b"junk") == set()


def test_a_dead_letter_record_is_read_as_its_id_and_refs() -> None:
    record = InboundRecord(PROFILES_SUBMITTED, 2, 40, b"tiktok:jane_doe", b"not avro")
    seen = dead_letter_seen(dead_letter("ingest", record, "not_avro", "x").value)
    assert seen.id == f"{PROFILES_SUBMITTED}:2:40"
    assert f"identity:{sha256_hex('tiktok:jane_doe')}" in seen.refs

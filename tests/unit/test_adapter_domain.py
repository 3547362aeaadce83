"""The adapter's pure decisions: outcomes, provenance, idempotency keys, settlement totals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.adapter.domain import (
    batch_status,
    business_id_for,
    card_outcome,
    contact_id_for,
    cost_by_provider,
    idempotency_key,
    provenance,
    queries_from_items,
)
from services.adapter.providers.models import BusinessFields, ContactFields, ProviderResult

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def result(card: str, provider: str, status: str, cost: float = 0.0,
           **kw: object) -> ProviderResult:
    return ProviderResult(lead_card_id=card, provider=provider, status=status, cost_usd=cost,
                          request_id=f"req-{provider}", fetched_at=T0,
                          **kw)  # type: ignore[arg-type]


def test_the_first_match_in_the_waterfall_enriches_the_card_and_all_attempts_are_paid() -> None:
    attempts = [
        result("c1", "apollo", "no_match"),
        result("c1", "skiptrace", "matched", 0.12,
               contact=ContactFields(phone="+1 512 555 0142", do_not_call=True)),
    ]
    outcome = card_outcome("c1", attempts)
    assert outcome.status == "ENRICHED" and outcome.match is attempts[1]
    assert outcome.providers_tried == ("apollo", "skiptrace")
    assert outcome.cost_usd == pytest.approx(0.12)
    assert outcome.contact_id == contact_id_for("c1")
    assert outcome.as_record()["matched_provider"] == "skiptrace"


def test_no_match_anywhere_or_only_failures_leave_the_card_failed() -> None:
    assert card_outcome("c2", [result("c2", "apollo", "no_match")]).status == "FAILED"
    assert card_outcome("c3",
                        [result("c3", "apollo", "failed", error="HTTP 500")]).status == "FAILED"
    assert card_outcome("c4", []).status == "FAILED"
    assert card_outcome("c4", []).as_record()["contact_id"] is None


def test_a_batch_is_completed_partial_or_failed_by_its_cards() -> None:
    enriched = card_outcome("a",
                            [result("a", "apollo", "matched",
                                    contact=ContactFields(email="a@example.com"))])
    failed = card_outcome("b", [result("b", "apollo", "no_match")])
    assert batch_status([enriched]) == "completed"
    assert batch_status([enriched, failed]) == "partial"
    assert batch_status([failed]) == "failed"


def test_provenance_names_provider_request_time_cost_and_do_not_call_per_field() -> None:
    match = result("c1", "skiptrace", "matched", 0.12, confidence=0.9,
                   contact=ContactFields(full_name="Ana Ruiz", phone="+1 512 555 0142",
                                         do_not_call=True))
    fields = provenance(match, {"full_name": "Ana Ruiz", "phone": "+1 512 555 0142", "email": None})
    assert set(fields) == {"full_name", "phone"}
    assert fields["phone"] == {"provider": "skiptrace", "request_id": "req-skiptrace",
                               "fetched_at": T0.isoformat(), "cost_usd": 0.12, "confidence": 0.9,
                               "do_not_call": True}
    assert fields["full_name"]["do_not_call"] is None


def test_ids_and_keys_are_deterministic_and_distinct_per_provider() -> None:
    assert idempotency_key("c1", "apollo") == idempotency_key("c1", "apollo")
    assert idempotency_key("c1", "apollo") != idempotency_key("c1", "skiptrace")
    assert business_id_for("Acme", "acme.com") == business_id_for("ACME Inc", "ACME.com")
    assert business_id_for(None, None) is None


def test_costs_are_summed_per_provider_with_match_counts() -> None:
    attempts = {
        "a": [result("a", "apollo", "matched", 0.03, business=BusinessFields(name="Acme"))],
        "b": [result("b", "apollo", "no_match"), result("b", "skiptrace", "failed")],
    }
    outcomes = [card_outcome(card, tried) for card, tried in attempts.items()]
    totals = cost_by_provider(outcomes, attempts)
    assert totals["apollo"] == {"matched": 1, "no_match": 1, "failed": 0, "cost_usd": 0.03}
    assert totals["skiptrace"]["failed"] == 1


def test_batch_items_become_provider_queries_with_public_facts_only() -> None:
    queries = queries_from_items([{"lead_card_id": "c1", "execution_label": "PARTNER",
                                   "routes": ["apollo"],
                                   "first_name": "Ana", "last_name": "Ruiz", "domain": "acme.com"}])
    assert queries[0].lead_card_id == "c1" and queries[0].domain == "acme.com"
    assert queries[0].first_name == "Ana" and queries[0].city is None

"""Enrichment recovery without infrastructure: address parsing and routing, refusal, reaping,
closing a batch, and provider answers kept as soon as they arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.adapter.domain import (
    ITEMS_MISMATCH,
    NOT_APPROVED,
    admit,
    card_outcome,
    cost_by_provider,
    idempotency_key,
)
from services.adapter.handlers import CachedProvider
from services.adapter.providers.models import PersonQuery, ProviderResult
from services.enrichment_gate.reaper import OpenBatch, overdue
from sxp_common import audit
from sxp_common import enrichment_routing as routing
from sxp_common.enrichment_ledger import ClosedBatch, failed_event, ledger_entries
from sxp_common.errors import Unprocessable

pytestmark = pytest.mark.unit
T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


# --- routing -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("123 Main St, Austin, TX 78701", ("123 Main St", "Austin", "TX", "78701")),
    ("  4500 N Lamar Blvd Apt 2,  Austin , tx 78756-1234, USA ",
     ("4500 N Lamar Blvd Apt 2", "Austin", "TX", "78756-1234")),
    ("77B Elm Street, San Francisco, CA 94110", ("77B Elm Street", "San Francisco", "CA", "94110")),
])
def test_a_full_us_address_is_parsed_into_its_parts(text: str, expected: tuple[str, ...]) -> None:
    address = routing.parse_us_address(text)
    assert address is not None
    assert (address["street"], address["city"], address["state"],
            address["postal_code"]) == expected


@pytest.mark.parametrize("text", [
    None, "", "Austin, TX", "Austin, TX 78701", "📍 Austin", "Main St, Austin, TX 78701",
    "123 Main St, Austin, TX", "123 Main St, Austin, ZZ 78701", "123 Main St, Lisbon, Portugal",
    "10 Downing St, London, SW1A 2AA", "Online", "123 Main St, Austin, TX 78701, Canada",
])
def test_anything_short_of_a_full_us_address_is_not_parsed(text: str | None) -> None:
    assert routing.parse_us_address(text) is None


def test_the_shared_rule_routes_skip_trace_only_with_a_full_address() -> None:
    person = {"first_name": "Ana", "last_name": "Lopez", "domain": "acme.com"}
    full = {**person, "street": "1 Main St", "city": "Austin", "state": "TX",
            "postal_code": "78701"}
    assert routing.routes_for(full, ("apollo", "skiptrace")) == ("apollo", "skiptrace")
    assert routing.routes_for({**person, "city": "Austin", "state": "TX"},
                              ("apollo", "skiptrace")) == ("apollo",)
    assert routing.routes_for(full, ("skiptrace", "clearbit")) == ("skiptrace",)


# --- refusal -------------------------------------------------------------------------------

def stored(status: str = "requested", settled: bool = False, **kw: object) -> dict:
    return {"batch_id": "b-1", "status": status, "settled": settled, "providers": ["apollo"],
            "items": [{"lead_card_id": "c-1"}, {"lead_card_id": "c-2"}], "reserved_usd": 0.06, **kw}


def message(**kw: object) -> dict:
    return {"batch_id": "b-1", "providers": ["apollo"], "reserved_usd": 0.06,
            "items": [{"lead_card_id": "c-2"}, {"lead_card_id": "c-1"}], **kw}


def test_an_approved_open_batch_is_enriched_and_a_settled_one_is_left_alone() -> None:
    assert admit(stored(), message()) is True
    assert admit(stored("completed", settled=True), message()) is False
    assert admit(stored("failed", settled=True), message()) is False


@pytest.mark.parametrize(("batch", "sent", "reason"), [
    (None, message(), NOT_APPROVED),
    (stored("failed"), message(), NOT_APPROVED),  # reaped or dead-lettered: closed, not settled
    (stored(), message(items=[{"lead_card_id": "c-1"}, {"lead_card_id": "c-9"}]), ITEMS_MISMATCH),
    (stored(), message(providers=["apollo", "skiptrace"]), ITEMS_MISMATCH),
    (stored(), message(reserved_usd=5.0), ITEMS_MISMATCH),
])
def test_a_message_the_gate_did_not_approve_as_it_stands_is_unprocessable(batch, sent,
                                                                          reason) -> None:
    with pytest.raises(Unprocessable) as refused:
        admit(batch, sent)
    assert refused.value.reason_code == reason


# --- reaping and closing -------------------------------------------------------------------

def test_only_batches_open_past_the_deadline_are_reaped_oldest_first() -> None:
    batches = [OpenBatch("young", T0 - timedelta(minutes=5)),
               OpenBatch("old", T0 - timedelta(hours=2)),
               OpenBatch("due", T0 - timedelta(minutes=30))]
    assert overdue(batches, T0, 1800) == ["old", "due"]
    assert overdue(batches, T0, 7200) == ["old"]
    assert overdue([], T0, 1) == []


def test_closing_settles_what_was_paid_and_releases_the_rest() -> None:
    assert ledger_entries("b", 0.45, {}) == [("b", "release", "*", 0.45)]
    assert ledger_entries("b", 0.45, {"skiptrace": 0.12, "apollo": 0.03}) == [
        ("b", "settle", "apollo", 0.03), ("b", "settle", "skiptrace", 0.12),
        ("b", "release", "*", 0.3)]
    assert ledger_entries("b", 0.1, {"apollo": 0.2})[-1] == ("b", "release", "*", 0.0)


def test_a_closed_batch_is_audited_as_failed_with_its_reason() -> None:
    closed = ClosedBatch("b", "r", ("c-2", "c-1"), 0.45, {"apollo": 0.03})
    event = failed_event(audit.Actor.service("enrichment_gate", "g-1"), closed, "reaped")
    assert event["event_type"] == "enrichment_failed" and event["reason"] == "reaped"
    assert event["lead_card_ids"] == ["c-1", "c-2"] and event["cost_usd"] == 0.03
    assert event["details"]["released_usd"] == "0.4200"


# --- answers kept at once, reused, paid once ----------------------------------------------

class CountingProvider:
    name, max_batch = "apollo", 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def enrich(self, queries: list[PersonQuery]) -> list[ProviderResult]:
        self.calls.append([q.lead_card_id for q in queries])
        return [ProviderResult(lead_card_id=q.lead_card_id, provider="apollo",
                               status="no_match") for q in queries]


async def test_each_call_is_stored_before_the_next_and_cached_answers_are_not_asked_again() -> None:
    inner, stored_calls = CountingProvider(), []

    async def store(results) -> None:
        stored_calls.append([r.lead_card_id for r in results])

    cached = ProviderResult(lead_card_id="c-2", provider="apollo", status="matched", cost_usd=0.03)
    provider = CachedProvider(inner, {idempotency_key("c-2", "apollo"): cached},
                              store)  # type: ignore[arg-type]
    results = await provider.enrich([PersonQuery(lead_card_id=c) for c in ("c-1", "c-2", "c-3",
                                                                           "c-4", "c-5")])
    assert [r.lead_card_id for r in results] == ["c-1", "c-2", "c-3", "c-4", "c-5"]
    assert results[1] is cached
    assert inner.calls == [["c-1", "c-3"], ["c-4", "c-5"]] == stored_calls


def test_an_answer_another_batch_paid_for_costs_this_batch_nothing() -> None:
    paid = ProviderResult(lead_card_id="c-1", provider="apollo", status="matched", cost_usd=0.03,
                          contact={"full_name": "Ana Lopez"})
    fresh = ProviderResult(lead_card_id="c-2", provider="apollo", status="no_match", cost_usd=0.0)
    reused = frozenset({idempotency_key("c-1", "apollo")})
    outcomes = [card_outcome("c-1", [paid], reused), card_outcome("c-2", [fresh], reused)]
    assert outcomes[0].status == "ENRICHED" and outcomes[0].cost_usd == 0
    totals = cost_by_provider(outcomes, {"c-1": [paid], "c-2": [fresh]}, reused)
    assert totals == {"apollo": {"matched": 1, "no_match": 1, "failed": 0, "cost_usd": 0.0}}
    assert cost_by_provider(outcomes, {"c-1": [paid], "c-2": [fresh]})["apollo"]["cost_usd"] == 0.03

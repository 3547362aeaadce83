"""The enrichment gate's policy decisions, as pure functions."""

from __future__ import annotations

import random

import pytest

from services.enrichment_gate.domain import (
    BUDGET_EXCEEDED,
    LABEL_NOT_ALLOWED,
    LOW_CONFIDENCE,
    NO_ROUTE,
    Candidate,
    GatePolicy,
    PolicyError,
    load_policy,
    policy_from_dict,
)
from services.enrichment_gate.planning import (
    decide,
    match_facts,
    routes_for,
    split_name,
    wants_more_candidates,
)

pytestmark = pytest.mark.unit
ROOMY = GatePolicy(budget_per_request_usd=10_000, budget_per_day_usd=10_000)


def card(n: int, label: str = "PARTNER", confidence: float = 0.9, **kw: object) -> Candidate:
    fields = {"persona": "founder", "display_name": "Maria Lopez",
              "location": "123 Main St, Austin, TX 78701",
              "external_url": "https://lopezrealty.com"}
    fields.update(kw)
    return Candidate(f"card-{n:05d}", label, confidence, **fields)  # type: ignore[arg-type]


def test_disallowed_labels_and_low_confidence_are_refused_with_their_reasons() -> None:
    decision = decide(ROOMY, {"request_id": "r"},
                      [card(1, "USER"), card(2, confidence=0.2), card(3)], 0.0)
    assert decision.refused[LABEL_NOT_ALLOWED] == ["card-00001"]
    assert decision.refused[LOW_CONFIDENCE] == ["card-00002"]
    assert [i["lead_card_id"] for b in decision.batches for i in b.items] == ["card-00003"]
    assert decision.status == "partial"


def test_a_request_can_raise_the_minimum_confidence_but_never_lower_it() -> None:
    cards = [card(1, confidence=0.55), card(2, confidence=0.8)]
    assert decide(ROOMY, {"request_id": "r", "min_confidence": 0.7}, cards, 0).approved_count == 1
    assert decide(ROOMY, {"request_id": "r", "min_confidence": 0.1}, [card(3, confidence=0.4)],
                  0).approved_count == 0


def test_one_thousand_approved_cards_make_four_batches_of_at_most_250() -> None:
    decision = decide(ROOMY, {"request_id": "r"}, [card(n) for n in range(1000)], 0.0)
    assert [len(b.items) for b in decision.batches] == [250, 250, 250, 250]
    assert len({b.batch_id for b in decision.batches}) == 4
    again = decide(ROOMY, {"request_id": "r"}, [card(n) for n in range(1000)], 0.0)
    assert [b.batch_id for b in again.batches] == [b.batch_id for b in decision.batches]


def test_the_budget_is_never_exceeded_whatever_the_request() -> None:
    rng = random.Random(3)
    for _ in range(200):
        policy = GatePolicy(budget_per_request_usd=rng.uniform(0, 40),
                            budget_per_day_usd=rng.uniform(0, 60))
        spent = rng.uniform(0, 70)
        request = {"request_id": "r", "budget_usd": rng.choice([None, rng.uniform(0, 30)])}
        cards = [card(n, confidence=rng.random(),
                      display_name=rng.choice(["Ana Ruiz", "ACME", None]))
                 for n in range(rng.randint(0, 300))]
        decision = decide(policy, request, cards, spent)
        cap = min(policy.budget_per_request_usd, request["budget_usd"] or 1e9,
                  policy.budget_per_day_usd - spent)
        assert decision.reserved_usd <= max(cap, 0) + 1e-6
        assert sum(b.reserved_usd for b in decision.batches) == pytest.approx(decision.reserved_usd)
        assert all(len(b.items) <= 250 for b in decision.batches)


def test_a_request_that_would_overspend_is_cut_to_what_fits() -> None:
    policy = GatePolicy(budget_per_request_usd=1.0, budget_per_day_usd=100)
    decision = decide(policy, {"request_id": "r"}, [card(n) for n in range(10)], 0.0)
    per_card = policy.worst_case_usd["apollo"] + policy.worst_case_usd["skiptrace"]
    assert decision.approved_count == int(1.0 // per_card)
    assert len(decision.refused[BUDGET_EXCEEDED]) == 10 - decision.approved_count


def test_an_exhausted_day_refuses_everything_with_the_reason() -> None:
    policy = GatePolicy(budget_per_request_usd=50, budget_per_day_usd=20)
    decision = decide(policy, {"request_id": "r"}, [card(1)], spent_today_usd=20.0)
    assert decision.status == "refused" and decision.refused[BUDGET_EXCEEDED] == ["card-00001"]


def test_each_provider_gets_only_the_cards_it_can_match() -> None:
    named_here = match_facts(card(1))
    assert (named_here["street"], named_here["city"], named_here["state"],
            named_here["postal_code"]) == (
        "123 Main St", "Austin", "TX", "78701")
    assert routes_for(named_here, ("apollo", "skiptrace")) == ("apollo", "skiptrace")
    city_only = match_facts(card(7, location="Austin, TX"))
    assert city_only["city"] == "Austin" and city_only["street"] is None
    assert routes_for(city_only, ("apollo", "skiptrace")) == ("apollo",
                                                              )  # skip trace needs a full address
    nowhere = match_facts(card(2, location=None))
    assert routes_for(nowhere, ("apollo", "skiptrace")) == ("apollo",)
    no_company = match_facts(card(5, external_url="https://linktr.ee/maria"))
    assert routes_for(no_company, ("apollo", "skiptrace")) == ("skiptrace",)
    abroad = match_facts(card(6, location="Lisbon, Portugal", external_url=None))
    assert routes_for(abroad, ("apollo", "skiptrace")) == ()
    brand = match_facts(card(3, persona="organization", display_name="Glow Labs ✨", location=None))
    assert brand["organization_name"] == "Glow Labs ✨" and brand["domain"] == "lopezrealty.com"
    assert routes_for(brand, ("apollo", "skiptrace")) == ()  # Apollo matches people, not brands
    unroutable = card(4, display_name="✨✨", location=None, external_url="https://linktr.ee/x")
    assert decide(ROOMY, {"request_id": "r"}, [unroutable], 0).refused[NO_ROUTE] == ["card-00004"]


def test_the_reservation_is_what_the_routes_can_spend() -> None:
    both, apollo_only = card(1), card(2, location="Austin, TX")
    decision = decide(ROOMY, {"request_id": "r"}, [both, apollo_only], 0)
    costs = {i["lead_card_id"]: i["routes"] for b in decision.batches for i in b.items}
    assert costs == {"card-00001": ["apollo", "skiptrace"], "card-00002": ["apollo"]}
    assert decision.reserved_usd == pytest.approx(0.03 + 0.12 + 0.03)


def test_names_are_split_only_when_they_read_like_a_persons_name() -> None:
    assert split_name("Maria Lopez") == ("Maria", "Lopez", "Maria Lopez")
    assert split_name("Chef Maria 🍝") == (None, None, None)
    assert split_name("thedevguy") == (None, None, None)


def test_the_packaged_policy_loads_and_a_broken_one_is_one_clear_error(tmp_path) -> None:
    policy = load_policy()
    assert policy.allowed_labels == ("PARTNER", "AFFILIATE")
    assert policy.worst_case_usd["apollo"] == pytest.approx(1 * policy.usd_per_credit)
    base = {"allowed_labels": ["PARTNER"], "min_confidence": 0.5, "providers": ["apollo"],
            "budget_per_request_usd": 1, "budget_per_day_usd": 1}
    with pytest.raises(PolicyError, match="reveal_phone_number is not supported"):
        policy_from_dict({**base, "apollo": {"usd_per_credit": 0.03, "reveal_phone_number": True}})
    with pytest.raises(PolicyError, match="worst_case_credits"):
        policy_from_dict({**base, "apollo": {"usd_per_credit": 0.03, "worst_case_credits": 9}})
    quiet = policy_from_dict({**base,
                              "apollo": {"usd_per_credit": 0.05, "reveal_phone_number": False}})
    assert quiet.worst_case_usd["apollo"] == pytest.approx(0.05)
    with pytest.raises(PolicyError, match="max_batch_size"):
        policy_from_dict({"allowed_labels": [], "min_confidence": 0.5, "providers": [],
                          "budget_per_request_usd": 1, "budget_per_day_usd": 1,
                          "max_batch_size": 500})
    bad = tmp_path / "p.json"
    bad.write_text("{not json")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(bad)


def unroutable(n: int, confidence: float = 0.99) -> Candidate:
    """A confident card no provider can take: a name, but no organization, domain or address."""
    return card(n, confidence=confidence, display_name="gym rat", location=None,
                external_url=None)


def test_a_window_full_of_cards_no_provider_takes_is_widened_until_the_limit_can_be_met() -> None:
    request = {"request_id": "r", "limit": 2}
    window = [unroutable(n) for n in range(8)]
    assert decide(ROOMY, request, window, 0.0).approved_count == 0
    assert wants_more_candidates(ROOMY, request, window, 8)
    wider = [*window, card(8, confidence=0.7), card(9, confidence=0.7),
             *map(unroutable, range(10, 32))]
    assert not wants_more_candidates(ROOMY, request, wider, 32)
    assert decide(ROOMY, request, wider, 0.0).approved_count == 2


def test_the_window_is_not_widened_past_the_end_the_confidence_floor_or_without_a_limit() -> None:
    short = [unroutable(n) for n in range(5)]
    assert not wants_more_candidates(ROOMY, {"request_id": "r", "limit": 2}, short, 8)
    fading = [*(unroutable(n) for n in range(7)), unroutable(7, confidence=0.3)]
    assert not wants_more_candidates(ROOMY, {"request_id": "r", "limit": 2}, fading, 8)
    full = [unroutable(n) for n in range(8)]
    assert not wants_more_candidates(ROOMY, {"request_id": "r"}, full, 8)

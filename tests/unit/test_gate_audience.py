"""The gate's audience request (r4): `top` bounds what is approved, with `limit` the smaller."""

from __future__ import annotations

from services.enrichment_gate.domain import Candidate, load_policy
from services.enrichment_gate.planning import decide, effective_limit


def test_top_and_limit_bound_a_request_by_the_smaller() -> None:
    assert effective_limit({}) is None
    assert effective_limit({"limit": 5}) == 5
    assert effective_limit({"top": 3, "audience_id": "a"}) == 3
    assert effective_limit({"limit": 2, "top": 3}) == 2
    assert effective_limit({"limit": 9, "top": 3}) == 3


def test_the_gate_approves_the_first_top_candidates_in_the_order_given() -> None:
    policy = load_policy()
    label = sorted(policy.allowed_labels)[0]
    candidates = [Candidate(f"card-{i}", label, 0.99, persona="creator",
                            display_name="Maria Lopez", location="Austin, TX",
                            external_url=f"https://acme{i}.example") for i in range(6)]
    decision = decide(policy, {"request_id": "r", "top": 2, "audience_id": "a"}, candidates, 0.0)
    approved = [item["lead_card_id"] for b in decision.batches for item in b.items]
    assert approved == ["card-0", "card-1"]
    assert decision.refusal_counts() == {"budget_exceeded": 4}

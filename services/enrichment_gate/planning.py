"""Pure planning for the gate: provider routes, public match facts, budget fit, batches."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from services.enrichment_gate.domain import (
    BATCH_NAMESPACE,
    BUDGET_EXCEEDED,
    LABEL_NOT_ALLOWED,
    LOW_CONFIDENCE,
    NO_ROUTE,
    Candidate,
    GateDecision,
    GatePolicy,
    PlannedBatch,
)
from sxp_common import enrichment_routing

ORGANIZATION_PERSONAS = {"organization", "agency"}
# Link hubs and social sites say nothing about the person's own organization.
NON_ORG_DOMAINS = (
    "linktr.ee", "beacons.ai", "instagram.com", "tiktok.com", "threads.net", "x.com",
    "twitter.com", "youtube.com", "facebook.com", "linkedin.com", "substack.com", "patreon.com",
    "bit.ly", "linkin.bio", "stan.store", "ko-fi.com", "github.com", "medium.com",
)
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*$")
_US_STATE = re.compile(r"^[A-Z]{2}$")


def split_name(display_name: str | None) -> tuple[str | None, str | None, str | None]:
    """(first, last, full) when the display name reads like a person's name, else Nones."""
    if not display_name:
        return None, None, None
    words = [w for w in re.split(r"[\s|•·,]+", display_name) if w]
    words = [w for w in words if _NAME_WORD.match(w)]
    if not 2 <= len(words) <= 4 or len(words) != len(display_name.split()):
        return None, None, None
    return words[0], words[-1], " ".join(words)


def organization_domain(external_url: str | None) -> str | None:
    """The registrable host of the profile's link, unless it is a link hub or social site."""
    if not external_url:
        return None
    host = (urlsplit(external_url).hostname or "").lower().removeprefix("www.")
    if not host or any(host == d or host.endswith("." + d) for d in NON_ORG_DOMAINS):
        return None
    return host


def split_location(location: str | None) -> tuple[str | None, str | None, str | None]:
    """(city, state, country) from 'Austin, TX', 'Lisbon, Portugal' or a full US address."""
    if not location:
        return None, None, None
    address = enrichment_routing.parse_us_address(location)
    if address is not None:
        return address["city"], address["state"], "US"
    parts = [p.strip() for p in location.split(",") if p.strip()]
    if len(parts) >= 2 and _US_STATE.match(parts[1]):
        return parts[0], parts[1], "US"
    if len(parts) >= 2:
        return parts[0], None, parts[-1]
    return parts[0] if parts else None, None, None


def match_facts(candidate: Candidate) -> dict[str, Any]:
    """The public facts a provider can match on (no contact data: Tier 1 has none); a street
    and ZIP only when the profile's location really is a full US address."""
    first, last, full = split_name(candidate.display_name)
    organization = candidate.display_name if candidate.persona in ORGANIZATION_PERSONAS else None
    city, state, country = split_location(candidate.location)
    address = enrichment_routing.parse_us_address(candidate.location) or {}
    return {
        "first_name": first, "last_name": last, "full_name": full,
        "organization_name": organization, "domain": organization_domain(candidate.external_url),
        "city": city, "state": state, "country": country,
        "street": address.get("street"), "postal_code": address.get("postal_code"),
    }


def routes_for(facts: dict[str, Any], providers: Sequence[str]) -> tuple[str, ...]:
    """Providers a card may go to: the rule the adapter's waterfall applies too
    (Apollo: a name with a company or domain; skip trace: a name and a full US address)."""
    return enrichment_routing.routes_for(facts, providers)


def effective_limit(request: dict[str, Any]) -> int | None:
    """How many cards a request may approve at most: its `limit`, and with an audience its
    `top` (r4), the smaller of the two; None when neither is set."""
    bounds = [int(v) for v in (request.get("limit"), request.get("top")) if v is not None]
    return min(bounds) if bounds else None


def approvable(policy: GatePolicy, request: dict[str, Any], candidate: Candidate) -> bool:
    """Could the policy approve this card for this request, budget and limit aside (an
    allowed label, confident enough, some provider route)?"""
    min_confidence = max(policy.min_confidence, request.get("min_confidence") or 0.0)
    return (candidate.execution_label in policy.allowed_labels
            and candidate.confidence >= min_confidence
            and bool(routes_for(match_facts(candidate), policy.providers)))


def wants_more_candidates(policy: GatePolicy, request: dict[str, Any],
                          candidates: Sequence[Candidate], window: int) -> bool:
    """Should the gate look past a full window of candidates (most confident first)? Yes
    while it holds fewer approvable cards than the request's limit and its last card still
    clears the confidence floor. Cards no provider can take stay NONE and keep their
    confidence, so without this they pile up at the top of the order and a request with a
    small limit finds nothing to approve though routable cards wait further down."""
    limit = effective_limit(request)
    if limit is None or len(candidates) < window or not candidates:
        return False
    min_confidence = max(policy.min_confidence, request.get("min_confidence") or 0.0)
    if candidates[-1].confidence < min_confidence:
        return False
    return sum(1 for c in candidates if approvable(policy, request, c)) < limit


def decide(
    policy: GatePolicy,
    request: dict[str, Any],
    candidates: Sequence[Candidate],
    spent_today_usd: float,
) -> GateDecision:
    """Approve what the policy allows and the budget fits; refuse the rest with reasons."""
    min_confidence = max(policy.min_confidence, request.get("min_confidence") or 0.0)
    request_budget = policy.budget_per_request_usd
    if request.get("budget_usd") is not None:
        request_budget = min(request_budget, float(request["budget_usd"]))
    budget = max(0.0, min(request_budget, policy.budget_per_day_usd - spent_today_usd))
    limit = effective_limit(request)
    refused: dict[str, list[str]] = {LABEL_NOT_ALLOWED: [], LOW_CONFIDENCE: [], BUDGET_EXCEEDED: [],
                                     NO_ROUTE: []}
    approved: list[tuple[dict[str, Any], float]] = []
    reserved = 0.0
    for candidate in candidates:
        if candidate.execution_label not in policy.allowed_labels:
            refused[LABEL_NOT_ALLOWED].append(candidate.lead_card_id)
            continue
        if candidate.confidence < min_confidence:
            refused[LOW_CONFIDENCE].append(candidate.lead_card_id)
            continue
        facts = match_facts(candidate)
        routes = routes_for(facts, policy.providers)
        if not routes:
            refused[NO_ROUTE].append(candidate.lead_card_id)
            continue
        cost = round(sum(policy.worst_case_usd[p] for p in routes), 4)
        if (limit is not None and len(approved) >= limit) or reserved + cost > budget + 1e-9:
            refused[BUDGET_EXCEEDED].append(candidate.lead_card_id)
            continue
        reserved = round(reserved + cost, 4)
        approved.append(({"lead_card_id": candidate.lead_card_id,
                          "execution_label": candidate.execution_label,
                          "routes": list(routes), **facts}, cost))
    batches = make_batches(request["request_id"], approved, policy.max_batch_size)
    return GateDecision(request["request_id"], batches, refused, reserved,
                        round(budget - reserved, 4))


def make_batches(
    request_id: str, approved: Sequence[tuple[dict[str, Any], float]], size: int
) -> tuple[PlannedBatch, ...]:
    """Cut approved items into batches of at most `size` with deterministic ids."""
    batches = []
    for index, start in enumerate(range(0, len(approved), size)):
        chunk = approved[start:start + size]
        batches.append(PlannedBatch(
            batch_id=str(uuid.uuid5(BATCH_NAMESPACE, f"{request_id}/{index}")),
            items=tuple(item for item, _ in chunk),
            reserved_usd=round(sum(cost for _, cost in chunk), 4),
        ))
    return tuple(batches)

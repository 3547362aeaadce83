"""The enrichment gate's policy and decisions, as pure functions.

A request is approved card by card: the label must be on the allowlist, the label's
confidence at least the minimum, and the card's worst-case cost must fit the budget
left (the smaller of the request's budget and what the day has left). What fits is cut
into batches of at most 250; everything else is refused with its reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sxp_common.enrichment_policy import (  # noqa: F401 (the gate's policy, re-exported)
    APOLLO_CREDITS_PER_PERSON,
    MAX_BATCH_SIZE,
    POLICY_FILE,
    GatePolicy,
    PolicyError,
    load_policy,
    policy_from_dict,
)

BATCH_NAMESPACE = uuid.UUID("5b0d6c3e-4f0a-4a8e-9a57-6f3cf2a1e250")

LABEL_NOT_ALLOWED = "label_not_allowed"
LOW_CONFIDENCE = "low_confidence"
BUDGET_EXCEEDED = "budget_exceeded"
NO_ROUTE = "no_provider_route"


@dataclass(frozen=True)
class Candidate:
    """A lead card the gate may approve, with the public facts a provider can match on."""

    lead_card_id: str
    execution_label: str | None
    confidence: float
    persona: str | None = None
    display_name: str | None = None
    location: str | None = None
    external_url: str | None = None


@dataclass(frozen=True)
class PlannedBatch:
    """One approved batch: its deterministic id, its cards with routes, its reservation."""

    batch_id: str
    items: tuple[dict[str, Any], ...]
    reserved_usd: float


@dataclass(frozen=True)
class GateDecision:
    """The gate's answer to one request."""

    request_id: str
    batches: tuple[PlannedBatch, ...]
    refused: dict[str, list[str]]
    reserved_usd: float
    budget_left_usd: float

    @property
    def approved_count(self) -> int:
        """Cards approved across batches."""
        return sum(len(b.items) for b in self.batches)

    @property
    def status(self) -> str:
        """approved, partial (some refused) or refused (none approved)."""
        if not self.batches:
            return "refused"
        return "partial" if any(self.refused.values()) else "approved"

    def refusal_counts(self) -> dict[str, int]:
        """How many cards were refused for each reason."""
        return {reason: len(ids) for reason, ids in self.refused.items() if ids}

"""The adapter's pure decisions: idempotency keys, Tier 2 rows with provenance, outcomes.

A card is ENRICHED when some provider in its waterfall matched it, FAILED otherwise
(no match anywhere, or every attempt failed). The first match wins; its fields are
written to Tier 2 with per-field provenance: provider, provider request id, time, cost,
confidence and do-not-call status where the provider gives one.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.adapter.providers.models import PersonQuery, ProviderResult
from sxp_common.errors import Unprocessable

CONTACT_NAMESPACE = uuid.UUID("0c8f3f2e-8a4b-4c11-9d6f-21a7e4c5b001")
BUSINESS_NAMESPACE = uuid.UUID("0c8f3f2e-8a4b-4c11-9d6f-21a7e4c5b002")
ENRICHED_FIELDS = "contact+business"
QUERY_FIELDS = (
    "first_name", "last_name", "full_name", "organization_name", "domain", "city", "state",
    "country",
    "street", "postal_code",
)
# Dead-letter reasons of a batch message that is not what the gate approved: the stored
# batch (if any) is left as it is.
NOT_APPROVED = "not_approved"
ITEMS_MISMATCH = "items_mismatch"
REFUSALS = frozenset({NOT_APPROVED, ITEMS_MISMATCH})


def idempotency_key(lead_card_id: str, provider: str, fields: str = ENRICHED_FIELDS) -> str:
    """The key a provider's answer is kept under: one paid answer per card, provider and fields."""
    return hashlib.sha256(f"{lead_card_id}|{provider}|{fields}".encode()).hexdigest()


def contact_id_for(lead_card_id: str) -> str:
    """Deterministic Tier 2 contact id of a lead card."""
    return str(uuid.uuid5(CONTACT_NAMESPACE, lead_card_id))


def business_id_for(name: str | None, domain: str | None) -> str | None:
    """Deterministic business id from its domain, else its name (None when neither)."""
    basis = (domain or name or "").strip().lower()
    return str(uuid.uuid5(BUSINESS_NAMESPACE, basis)) if basis else None


def admit(stored: Mapping[str, Any] | None, request: Mapping[str, Any]) -> bool:
    """True to enrich the approved batch, False for a settled one (a redelivery: nothing to
    do); Unprocessable for a message the gate never approved as it stands."""
    batch_id = request["batch_id"]
    if stored is None:
        raise Unprocessable(NOT_APPROVED, f"batch {batch_id} was never approved")
    if stored["status"] != "requested":
        if stored["settled"]:
            return False
        raise Unprocessable(NOT_APPROVED, f"batch {batch_id} is {stored['status']}, not requested")
    sent = sorted(i["lead_card_id"] for i in request["items"])
    approved = sorted(i["lead_card_id"] for i in stored["items"])
    if (sent != approved or list(request["providers"]) != list(stored["providers"])
            or abs(float(request["reserved_usd"]) - float(stored["reserved_usd"])) > 1e-6):
        raise Unprocessable(ITEMS_MISMATCH,
                            f"batch {batch_id}: cards, providers or reservation differ from the "
                            f"approved batch")
    return True


def queries_from_items(items: Sequence[Mapping[str, Any]]) -> list[PersonQuery]:
    """PersonQuery per batch item (public facts only)."""
    return [PersonQuery(lead_card_id=i["lead_card_id"],
                        **{f: i.get(f) for f in QUERY_FIELDS}) for i in items]


@dataclass(frozen=True)
class CardOutcome:
    """What enrichment did for one card."""

    lead_card_id: str
    status: str  # ENRICHED or FAILED
    match: ProviderResult | None
    providers_tried: tuple[str, ...]
    cost_usd: float

    @property
    def contact_id(self) -> str | None:
        """The Tier 2 contact id when enriched."""
        return contact_id_for(self.lead_card_id) if self.match and self.match.contact else None

    @property
    def business_id(self) -> str | None:
        """The Tier 2 business id when the match named an organization."""
        b = self.match.business if self.match else None
        return business_id_for(b.name, b.domain) if b else None

    def as_record(self) -> dict[str, Any]:
        """The per-card entry of sxp.enrichment.completed.v1 (ids only)."""
        return {
            "lead_card_id": self.lead_card_id, "status": self.status,
            "contact_id": self.contact_id, "business_id": self.business_id,
            "matched_provider": self.match.provider if self.match else None,
            "providers_tried": list(self.providers_tried), "cost_usd": round(self.cost_usd, 4),
        }


def card_outcome(lead_card_id: str, attempts: Sequence[ProviderResult],
                 reused: frozenset[str] = frozenset()) -> CardOutcome:
    """Fold a card's waterfall attempts into its outcome; answers in `reused` (idempotency
    keys paid by another batch) cost this batch nothing."""
    match = next((a for a in attempts if a.status == "matched" and (a.contact or a.business)), None)
    return CardOutcome(
        lead_card_id=lead_card_id,
        status="ENRICHED" if match else "FAILED",
        match=match,
        providers_tried=tuple(a.provider for a in attempts),
        cost_usd=sum(a.cost_usd for a in attempts if idempotency_key(a.lead_card_id,
                                                                     a.provider) not in reused),
    )


def provenance(result: ProviderResult, values: Mapping[str, Any]) -> dict[str, Any]:
    """Per-field provenance for the fields a provider filled."""
    dnc = result.contact.do_not_call if result.contact else None
    return {
        name: {
            "provider": result.provider, "request_id": result.request_id,
            "fetched_at": result.fetched_at.isoformat(), "cost_usd": round(result.cost_usd, 4),
            "confidence": result.confidence, "do_not_call": dnc if name == "phone" else None,
        }
        for name, value in values.items() if value is not None
    }


def batch_status(outcomes: Sequence[CardOutcome]) -> str:
    """completed (all enriched), partial, or failed (none enriched)."""
    enriched = sum(o.status == "ENRICHED" for o in outcomes)
    if enriched == len(outcomes):
        return "completed"
    return "failed" if enriched == 0 else "partial"


def cost_by_provider(
    outcomes: Sequence[CardOutcome], attempts: Mapping[str, Sequence[ProviderResult]],
    reused: frozenset[str] = frozenset(),
) -> dict[str, dict[str, float]]:
    """Spend and counts per provider over a batch: matched, no_match, failed, cost_usd (an
    answer another batch paid for counts, but costs this batch nothing)."""
    totals: dict[str, dict[str, float]] = {}
    for outcome in outcomes:
        for attempt in attempts.get(outcome.lead_card_id, ()):
            row = totals.setdefault(attempt.provider,
                                    {"matched": 0, "no_match": 0, "failed": 0, "cost_usd": 0.0})
            row[attempt.status] += 1
            if idempotency_key(attempt.lead_card_id, attempt.provider) not in reused:
                row["cost_usd"] = round(row["cost_usd"] + attempt.cost_usd, 4)
    return totals

"""Audit events of an enrichment batch: started, per-provider outcome and cost, completed or
failed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.adapter.domain import CardOutcome
from sxp_common import audit


def started_event(actor: audit.Actor, request: dict[str, Any]) -> dict[str, Any]:
    """enrichment_started for a batch (deterministic: a redelivery repeats the same event)."""
    return audit.audit_event(
        audit.ENRICHMENT_STARTED, actor, outcome="started", batch_id=request["batch_id"],
        lead_card_ids=[i["lead_card_id"] for i in request["items"]],
        details={"request_id": request["request_id"], "providers": ",".join(request["providers"])},
    )


def audit_for_batch(
    actor: audit.Actor, request: dict[str, Any], outcomes: Sequence[CardOutcome],
    by_provider: dict[str, dict[str, float]], status: str,
) -> list[dict[str, Any]]:
    """One event per provider (outcome and cost) and one for the batch: completed or failed."""
    batch_id = request["batch_id"]
    events = []
    for provider, row in by_provider.items():
        attempted = [o.lead_card_id for o in outcomes if provider in o.providers_tried]
        all_failed = row["failed"] and not row["matched"] and not row["no_match"]
        events.append(audit.audit_event(
            audit.ENRICHMENT_FAILED if all_failed else audit.ENRICHMENT_COMPLETED, actor,
            outcome="failed" if all_failed else "ok", batch_id=batch_id, lead_card_ids=attempted,
            provider=provider, cost_usd=row["cost_usd"],
            details={k: int(v) for k, v in row.items() if k != "cost_usd"}))
    enriched = [o.lead_card_id for o in outcomes if o.status == "ENRICHED"]
    failed = [o.lead_card_id for o in outcomes if o.status == "FAILED"]
    total = round(sum(r["cost_usd"] for r in by_provider.values()), 4)
    summary = {"enriched": len(enriched), "failed": len(failed),
               "reserved_usd": request["reserved_usd"]}
    if enriched:
        events.append(audit.audit_event(
            audit.ENRICHMENT_COMPLETED, actor, outcome=status, batch_id=batch_id,
            lead_card_ids=enriched,
            cost_usd=total, details=summary, discriminator="batch"))
    if failed:
        events.append(audit.audit_event(
            audit.ENRICHMENT_FAILED, actor, outcome="failed", batch_id=batch_id,
            lead_card_ids=failed,
            reason="no_match_or_provider_error", details=summary, discriminator="batch"))
    return events

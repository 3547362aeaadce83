"""Pure mapping from gate decisions to the records and audit events it emits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.enrichment_gate.domain import GateDecision
from sxp_common import audit

ITEM_FIELDS = (
    "lead_card_id", "execution_label", "routes", "first_name", "last_name", "full_name",
    "organization_name", "domain", "city", "state", "country",
)


def requested_record(batch: dict[str, Any], request_id: str, now: datetime) -> dict[str, Any]:
    """The sxp.enrichment.requested.v1 record for one stored or planned batch."""
    return {
        "batch_id": batch["batch_id"],
        "request_id": request_id,
        "created_at": batch.get("created_at") or now,
        "reserved_usd": float(batch["reserved_usd"]),
        "providers": list(batch["providers"]),
        "items": [{f: item.get(f) for f in ITEM_FIELDS} for item in batch["items"]],
    }


def decision_events(
    actor: audit.Actor, command: dict[str, Any], decision: GateDecision, now: datetime
) -> list[dict[str, Any]]:
    """Audit events for a decision: requested and approved per batch, refused per reason."""
    request_id = decision.request_id
    events = []
    for batch in decision.batches:
        ids = [item["lead_card_id"] for item in batch.items]
        common: dict[str, Any] = {"batch_id": batch.batch_id, "lead_card_ids": ids,
                                  "occurred_at": now, "discriminator": request_id}
        events.append(audit.audit_event(
            audit.ENRICHMENT_REQUESTED, actor, outcome="requested",
            details={"request_id": request_id, "requested_by": command["requested_by"]["name"],
                     "labels": ",".join(command["labels"])}, **common))
        events.append(audit.audit_event(
            audit.ENRICHMENT_APPROVED, actor, outcome="approved", cost_usd=batch.reserved_usd,
            details={"request_id": request_id, "reserved_usd": f"{batch.reserved_usd:.4f}",
                     "size": len(ids)}, **common))
    for reason, ids in decision.refused.items():
        if ids:
            events.append(audit.audit_event(
                audit.ENRICHMENT_REFUSED, actor, outcome="refused", reason=reason,
                batch_id=request_id, lead_card_ids=ids, occurred_at=now, discriminator=reason,
                details={"request_id": request_id, "count": len(ids)}))
    return events


def requester_name(command: dict[str, Any]) -> str:
    """`kind:name@instance` of who sent a command, as the gate's tables record it."""
    who = command["requested_by"]
    return f"{who['kind']}:{who['name']}@{who['instance']}"


def dry_run_answer(decision: GateDecision) -> dict[str, Any]:
    """What the gate would decide, as recorded for a DRY_RUN command (nothing reserved)."""
    return {
        "status": decision.status, "approved_count": decision.approved_count,
        "refused": decision.refusal_counts(), "reserved_usd": decision.reserved_usd,
        "batches": [{"batch_id": b.batch_id, "size": len(b.items),
                     "reserved_usd": b.reserved_usd} for b in decision.batches],
    }


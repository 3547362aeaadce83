"""on_enrichment_requested_command: decide, reserve, mark REQUESTED, then emit batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.enrichment_gate.adapters import (
    fetch_candidates, lock_budget, record_decision, spent_today, stored_batches,
)
from services.enrichment_gate.domain import load_policy
from services.enrichment_gate.planning import decide
from services.enrichment_gate.records import decision_events, requested_record
from sxp_common import audit
from sxp_common.kafka import InboundRecord, Outgoing, continuing, decode_batch, outgoing, publish_all
from sxp_common.service import ServiceContext
from sxp_common.topics import ENRICHMENT_REQUESTED


async def on_enrichment_command(ctx: ServiceContext, records: list[InboundRecord]) -> None:
    """Handle sxp.enrichment.commands.v1, one command at a time under the budget lock."""
    batch = decode_batch(ctx.name, records)
    messages: list[Outgoing] = list(batch.dead_letters)
    for record, command in batch.records:
        messages += continuing(record, await _apply(ctx, command))
    await publish_all(ctx.broker, messages)


async def _apply(ctx: ServiceContext, command: dict[str, Any]) -> list[Outgoing]:
    now = datetime.now(UTC)
    policy = load_policy(ctx.settings.enrichment_policy)
    request_id = command["request_id"]
    async with ctx.db().acquire() as conn, conn.transaction():
        await lock_budget(conn)
        known = await stored_batches(conn, request_id)
        if known is not None:  # a redelivered command: re-announce, never re-reserve
            ctx.logger.info("request already decided", extra={"request_id": request_id})
            return [outgoing(ENRICHMENT_REQUESTED, b["batch_id"], requested_record(b, request_id, now))
                    for b in known]
        candidates = await fetch_candidates(conn, list(command["labels"]), command.get("limit"))
        decision = decide(policy, command, candidates, await spent_today(conn))
        await record_decision(conn, command, decision, policy)
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    planned = [
        {"batch_id": b.batch_id, "items": b.items, "reserved_usd": b.reserved_usd,
         "providers": policy.providers, "created_at": now}
        for b in decision.batches
    ]
    ctx.counters.add(requests=1, approved=decision.approved_count,
                     refused=sum(decision.refusal_counts().values()))
    ctx.logger.info("request decided", extra={
        "request_id": request_id, "status": decision.status, "batches": [b.batch_id for b in decision.batches],
        "approved": decision.approved_count, "refused": decision.refusal_counts(),
        "reserved_usd": decision.reserved_usd})
    messages = [outgoing(ENRICHMENT_REQUESTED, b["batch_id"], requested_record(b, request_id, now)) for b in planned]
    return messages + audit.audit_messages(decision_events(actor, command, decision, now))

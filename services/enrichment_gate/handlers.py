"""on_enrichment_command: decide, reserve, mark REQUESTED and stage the batches, in one
transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from services.enrichment_gate.adapters import (
    candidates_for,
    lock_budget,
    record_decision,
    spent_today,
    stored_batches,
)
from services.enrichment_gate.commands import REQUEST, answer_command
from services.enrichment_gate.domain import load_policy
from services.enrichment_gate.planning import decide
from services.enrichment_gate.records import decision_events, requested_record
from sxp_common import audit
from sxp_common.events import RequestEnrichment
from sxp_common.kafka import continuing, outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import ENRICHMENT_REQUESTED


async def on_enrichment_command(events: list[RequestEnrichment], deps: ServiceContext) -> None:
    """Handle sxp.enrichment.commands.v1 (r1-r4), one command at a time under the budget lock."""
    for command in events:
        if command.kind == REQUEST:
            await _apply(deps, command)
        else:
            await answer_command(deps, command.as_record())


async def _apply(ctx: ServiceContext, event: RequestEnrichment) -> None:
    now = datetime.now(UTC)
    policy = load_policy(ctx.settings.enrichment_policy)
    command, request_id = event.as_record(), event.request_id
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    async with ctx.db().acquire() as conn, conn.transaction():
        await lock_budget(conn)
        if await stored_batches(conn, request_id) is not None:
            # A redelivered command: its batches and events were staged with the decision.
            ctx.logger.info("request already decided", extra={"request_id": request_id})
            return
        candidates = await candidates_for(conn, policy, command)
        decision = decide(policy, command, candidates, await spent_today(conn))
        await record_decision(conn, command, decision, policy)
        planned = [
            {"batch_id": b.batch_id, "items": b.items, "reserved_usd": b.reserved_usd,
             "providers": policy.providers, "created_at": now}
            for b in decision.batches
        ]
        messages = [outgoing(ENRICHMENT_REQUESTED, str(b["batch_id"]),
                             requested_record(b, request_id, now))
                    for b in planned]
        messages += audit.audit_messages(decision_events(actor, command, decision, now))
        await ctx.stage(conn, continuing(event.record, messages))
    ctx.counters.add(requests=1, approved=decision.approved_count,
                     refused=sum(decision.refusal_counts().values()))
    ctx.logger.info("request decided", extra={
        "request_id": request_id, "status": decision.status,
        "batches": [b.batch_id for b in decision.batches],
        "approved": decision.approved_count, "refused": decision.refusal_counts(),
        "reserved_usd": decision.reserved_usd})

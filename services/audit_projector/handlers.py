"""on_audit_event: project sxp.audit.v1 into audit.audit_log, idempotent on event id."""

from __future__ import annotations

from sxp_common.audit_store import append_events
from sxp_common.kafka import InboundRecord, decode_batch
from sxp_common.service import ServiceContext


async def on_audit_event(ctx: ServiceContext, records: list[InboundRecord]) -> None:
    """Append the batch's new events to the chained projection, in topic order."""
    batch = decode_batch(ctx.name, records)
    events = [event for _, event in batch.records]
    async with ctx.db().acquire() as conn, conn.transaction():
        appended = await append_events(conn, events)
        await ctx.stage(conn, batch.dead_letters)
    ctx.counters.add(consumed=len(records), projected=appended, duplicates=len(events) - appended)
    ctx.logger.info(
        "batch projected",
        extra={"records": len(records), "projected": appended,
               "batches": sorted({e["batch_id"] for e in events if e.get("batch_id")})[:20]},
    )

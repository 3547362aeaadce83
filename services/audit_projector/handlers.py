"""on_audit_event: project sxp.audit.v1 into audit.audit_log, idempotent on event id."""

from __future__ import annotations

from sxp_common.audit_store import append_events
from sxp_common.events import AuditEvent
from sxp_common.service import ServiceContext


async def on_audit_event(events: list[AuditEvent], deps: ServiceContext) -> None:
    """Append the batch's new events to the chained projection, in topic order (the chain
    hashes the record as the topic carries it, the same rows `sxp replay audit` rebuilds)."""
    async with deps.db().acquire() as conn, conn.transaction():
        appended = await append_events(conn, [e.as_record() for e in events])
    deps.counters.add(projected=appended, duplicates=len(events) - appended)
    deps.logger.info(
        "batch projected",
        extra={"records": len(events), "projected": appended,
               "batches": sorted({e.batch_id for e in events if e.batch_id})[:20]},
    )

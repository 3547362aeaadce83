"""Reaping: a batch still `requested` past its deadline is closed as failed, so nothing waits
forever.

The gate runs `reap_once` every `enrichment_reap_interval_s` (a task in its lifespan);
operators ask for a sweep with `sxp enrich reap`, a REAP command the gate answers
(services.enrichment_gate.commands). In one transaction per sweep, each overdue batch
that no adapter is working on has what its provider calls cost settled and the rest of its
reservation released; it becomes `failed`, its cards `FAILED`, and `enrichment_failed`
(reason `reaped`) is staged in the gate's outbox. `sxp enrich request --retry-failed`
queues the cards again in a new batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from sxp_common import audit, outbox
from sxp_common.enrichment_ledger import ClosedBatch, close_failed, failed_event, try_lock_batch
from sxp_common.service import ServiceContext

REAPED = "reaped"
MAX_PER_SWEEP = 200


@dataclass(frozen=True)
class OpenBatch:
    """A batch the gate approved that has not settled yet."""

    batch_id: str
    created_at: datetime


def overdue(batches: Sequence[OpenBatch], now: datetime, deadline_s: float) -> list[str]:
    """The ids of batches open longer than the deadline, oldest first (pure)."""
    cutoff = now - timedelta(seconds=deadline_s)
    return [b.batch_id for b in sorted(batches,
                                       key=lambda b: b.created_at) if b.created_at <= cutoff]


async def reap_once(pool: asyncpg.Pool, service: str, actor: audit.Actor,
                    deadline_s: float) -> list[ClosedBatch]:
    """Close every overdue batch no adapter holds, in one transaction; return what was closed."""
    async with pool.acquire() as conn, conn.transaction():
        return await reap_in(conn, service, actor, deadline_s)


async def reap_in(conn: asyncpg.Connection, service: str, actor: audit.Actor,
                  deadline_s: float) -> list[ClosedBatch]:
    """Close the overdue batches inside the caller's transaction (the REAP command records
    its answer in the same one); their audit events are staged in `service`'s outbox."""
    closed: list[ClosedBatch] = []
    now = await conn.fetchval("SELECT now()")
    rows = await conn.fetch(
        """SELECT batch_id, created_at FROM enrichment.batches
           WHERE status = 'requested' AND created_at <= now() - make_interval(secs => $1)
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        deadline_s, MAX_PER_SWEEP)
    for batch_id in overdue([OpenBatch(**dict(r)) for r in rows], now, deadline_s):
        if not await try_lock_batch(conn, batch_id):
            continue  # an adapter is calling its providers right now
        done = await close_failed(conn, batch_id)
        if done is not None:
            closed.append(done)
    await outbox.stage(conn, service,
                       audit.audit_messages([failed_event(actor, c, REAPED) for c in closed]))
    return closed


async def reap_forever(ctx: ServiceContext) -> None:
    """Reap every interval; a failed sweep is logged and the next one retries."""
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    while True:
        await asyncio.sleep(ctx.settings.enrichment_reap_interval_s)
        try:
            closed = await reap_once(ctx.db(), ctx.name, actor,
                                     ctx.settings.enrichment_reap_after_s)
            if closed:
                await ctx.outbox().flush()
                ctx.counters.add(reaped=len(closed))
                ctx.logger.warning("batches reaped", extra={
                    "batches": [c.batch_id for c in closed],
                    "released_usd": sum(c.released_usd for c in closed)})
        except Exception as exc:  # database or broker away for a moment: the next sweep retries
            ctx.logger.warning("reap failed", extra={"error": type(exc).__name__})


@asynccontextmanager
async def reaping(ctx: ServiceContext) -> AsyncIterator[None]:
    """Run the reaper beside the consumer for the lifetime of the gate."""
    task = asyncio.create_task(reap_forever(ctx))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

"""Closing an enrichment batch that will not complete: settle what it paid, release the rest.

The adapter closes a batch it dead-letters; the gate closes a batch that stayed `requested`
past its deadline (reaping). Both do the same in one transaction: the batch's stored
provider answers are settled (what its calls really cost, per provider), the rest of its
reservation is released, the batch becomes `failed` and its cards `FAILED`, so a retry
can queue them again. An adapter working on a batch holds its advisory lock, and the
reaper skips a locked batch: a batch is never reaped while its providers are being called.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from sxp_common import audit

LOCK_PREFIX = "sxp-enrichment-batch:"


@dataclass(frozen=True)
class ClosedBatch:
    """A batch closed as failed: its cards, reservation, and what its provider calls cost."""

    batch_id: str
    request_id: str
    lead_card_ids: tuple[str, ...]
    reserved_usd: float
    spend: Mapping[str, float]

    @property
    def settled_usd(self) -> float:
        """What the batch's provider calls cost in all."""
        return round(sum(self.spend.values()), 4)

    @property
    def released_usd(self) -> float:
        """The part of the reservation handed back."""
        return round(max(self.reserved_usd - self.settled_usd, 0.0), 4)


def ledger_entries(batch_id: str, reserved_usd: float,
                   spend: Mapping[str, float]) -> list[tuple[str, str, str, float]]:
    """Settle entries per provider that charged, then one release of the rest (pure)."""
    entries = [(batch_id, "settle", provider,
                round(cost, 4)) for provider, cost in sorted(spend.items())]
    entries.append((batch_id, "release", "*",
                    round(max(reserved_usd - sum(spend.values()), 0.0), 4)))
    return entries


def failed_event(actor: audit.Actor, closed: ClosedBatch, reason: str) -> dict[str, Any]:
    """enrichment_failed for a closed batch, with why (e.g. `reaped`) and what was released."""
    return audit.audit_event(
        audit.ENRICHMENT_FAILED, actor, outcome="failed", batch_id=closed.batch_id,
        lead_card_ids=closed.lead_card_ids, reason=reason, cost_usd=closed.settled_usd,
        details={"request_id": closed.request_id, "reserved_usd": f"{closed.reserved_usd:.4f}",
                 "released_usd": f"{closed.released_usd:.4f}"},
        discriminator="closed")


def lock_key(batch_id: str) -> str:
    """The advisory lock name of a batch."""
    return LOCK_PREFIX + batch_id


@asynccontextmanager
async def holding_batch(conn: asyncpg.Connection, batch_id: str) -> AsyncIterator[None]:
    """Hold the batch's advisory lock on this connection (waiting for it) until the block ends."""
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key(batch_id))
    try:
        yield
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key(batch_id))


async def try_lock_batch(conn: asyncpg.Connection, batch_id: str) -> bool:
    """Take the batch's lock for this transaction, unless an adapter holds it now."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))",
                                    lock_key(batch_id)))


async def close_failed(conn: asyncpg.Connection, batch_id: str) -> ClosedBatch | None:
    """In the caller's transaction: settle, release, fail the batch and its cards (None when
    the batch is not open any more)."""
    row = await conn.fetchrow(
        """SELECT request_id, lead_card_ids::text[] AS ids, reserved_usd::float8 AS reserved
           FROM enrichment.batches WHERE batch_id = $1 AND status = 'requested' FOR UPDATE""",
        batch_id)
    if row is None:
        return None
    spend = {r["provider"]: float(r["cost_usd"])
             for r in await conn.fetch("SELECT provider, cost_usd FROM "
                                       "enrichment.batch_spend($1)", batch_id)}
    await conn.executemany(
        """INSERT INTO enrichment.ledger (batch_id, kind, provider, amount_usd) VALUES ($1, $2, $3,
        $4)
           ON CONFLICT (batch_id, kind, provider) DO NOTHING""",
        ledger_entries(batch_id, row["reserved"], spend))
    closed = ClosedBatch(batch_id, row["request_id"], tuple(row["ids"]), row["reserved"], spend)
    await conn.execute(
        "UPDATE enrichment.batches SET status = 'failed', settled_usd = $2, settled_at = now() "
        "WHERE batch_id = $1",
        batch_id, closed.settled_usd)
    await conn.execute(
        """UPDATE execution.lead_cards SET enrichment_status = 'FAILED', updated_at = now()
           WHERE lead_card_id = ANY($1::uuid[]) AND enrichment_status = 'REQUESTED'""",
        list(row["ids"]))
    return closed

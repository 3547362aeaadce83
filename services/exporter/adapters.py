"""The exporter's database work, as the sxp_exporter role: ready cards, claims, batch states.

A card is ready on a transport when no batch of that transport carried it at its current
revision (or a later one): a card enriched or relabeled after it went out is sent again.
Claims are serialized per transport with a transaction-scoped advisory lock, so two
exporter instances never put one revision of a card in two batches of one transport; the
(lead_card_id, transport, revision) primary key enforces it as well.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.exporter.domain import AudienceTag, LeadBatch, Refusal, batch_from_document

CLAIM_LOCK = "sxp-handoff:"
DELIVERY_LOCK = "sxp-deliver:"
OPEN_STATES = ("pending", "failed")

_READY_CARDS = """
SELECT c.lead_card_id, c.profile_id, c.profile_version, c.content_hash, c.job_id, c.platform,
       c.username, c.readiness, c.base_confidence, c.audience_pool, c.persona,
       c.persona_confidence, c.tribe, c.tribe_confidence, c.industry, c.industry_confidence,
       c.execution_label, c.execution_label_confidence, c.label_evidence, c.taxonomy_version,
       c.labeled_at, c.enrichment_status, c.contact_id, c.business_id, c.revision,
       ct.contact_id AS contact_contact_id, ct.full_name AS contact_full_name,
       ct.title AS contact_title, ct.email AS contact_email,
       ct.email_status AS contact_email_status, ct.phone AS contact_phone,
       ct.phone_type AS contact_phone_type, ct.do_not_call AS contact_do_not_call,
       ct.linkedin_url AS contact_linkedin_url, ct.city AS contact_city,
       ct.state AS contact_state, ct.country AS contact_country,
       b.business_id AS business_business_id, b.name AS business_name,
       b.domain AS business_domain, b.industry AS business_industry, b.phone AS business_phone
FROM execution.lead_cards c
LEFT JOIN contact.contacts ct
       ON c.readiness = 'ENRICHED' AND ct.contact_id = c.contact_id
LEFT JOIN contact.businesses b
       ON c.readiness = 'ENRICHED' AND b.business_id = c.business_id
WHERE c.readiness IN ('LABELED', 'ENRICHED') AND c.enrichment_status <> 'REQUESTED'
  AND ($2::uuid[] IS NULL OR c.lead_card_id = ANY($2::uuid[]))
  {audience}AND NOT EXISTS (SELECT 1 FROM execution.handoff_items i
                  WHERE i.lead_card_id = c.lead_card_id AND i.transport = $1
                    AND i.revision >= c.revision)
ORDER BY c.lead_card_id
"""
# `sxp export --audience`: only the audience's members (audience.members, by its key).
_MEMBER_CLAUSE = """AND EXISTS (SELECT 1 FROM audience.members m
              WHERE m.audience_id = $3::uuid AND m.lead_card_id = c.lead_card_id)
  """
_READY_ALL = _READY_CARDS.format(audience="")
_READY_MEMBERS = _READY_CARDS.format(audience=_MEMBER_CLAUSE)

_INSERT_BATCH = """
INSERT INTO execution.handoff_batches
    (batch_id, transport, schema_version, checksum, card_count, status, document, created_at)
VALUES ($1, $2, 'v1', $3, $4, 'pending', $5, $6)
ON CONFLICT (batch_id) DO UPDATE SET
    status = 'pending', checksum = excluded.checksum, card_count = excluded.card_count,
    document = excluded.document, created_at = excluded.created_at, last_error = NULL,
    updated_at = now()
WHERE execution.handoff_batches.status = 'refused'
"""

_INSERT_REFUSED = """
INSERT INTO execution.handoff_batches
    (batch_id, transport, schema_version, checksum, card_count, status, last_error, created_at)
VALUES ($1, $2, 'v1', $3, $4, 'refused', $5, $6)
ON CONFLICT (batch_id) DO UPDATE SET last_error = excluded.last_error, updated_at = now()
WHERE execution.handoff_batches.status = 'refused'
"""

_BATCH_COLUMNS = """b.batch_id::text AS batch_id, b.transport, b.checksum, b.card_count,
    b.status, b.location, b.attempts, b.last_error, b.document, b.created_at, b.delivered_at"""


@dataclass(frozen=True)
class StoredBatch:
    """A batch as recorded: its state, and the exact document that was (or will be) sent."""

    batch_id: str
    transport: str
    checksum: str
    card_count: int
    status: str
    location: str | None
    attempts: int
    last_error: str | None
    document: str | None
    created_at: datetime
    delivered_at: datetime | None

    def lead_batch(self) -> LeadBatch:
        """The batch the document describes (raises ValueError for a refused batch)."""
        if self.document is None:
            raise ValueError(f"batch {self.batch_id} was refused by the contract; nothing to send")
        return batch_from_document(self.transport, json.loads(self.document))


async def lock_transport(conn: asyncpg.Connection, transport: str) -> None:
    """Serialize claims on one transport until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", CLAIM_LOCK + transport)


async def ready_cards(
    conn: asyncpg.Connection, transport: str, card_ids: Sequence[str] | None,
    audience_id: str | None = None,
) -> list[dict[str, Any]]:
    """Execution-ready cards (optionally among `card_ids`, or an audience's members) not yet
    claimed on the transport."""
    ids = list(card_ids) if card_ids is not None else None
    if audience_id is None:
        rows = await conn.fetch(_READY_ALL, transport, ids)
    else:
        rows = await conn.fetch(_READY_MEMBERS, transport, ids, audience_id)
    return [dict(r) for r in rows]


async def live_audience(conn: asyncpg.Connection, audience_id: str) -> AudienceTag:
    """The audience's id and current criteria hash; ValueError when it is unknown or deleted."""
    row = await conn.fetchrow(
        """SELECT audience_id::text AS audience_id, criteria_hash FROM audience.audiences
           WHERE audience_id = $1::uuid AND deleted_at IS NULL""", audience_id)
    if row is None:
        raise ValueError(f"no live audience {audience_id}")
    return AudienceTag(row["audience_id"], row["criteria_hash"])


async def record_batches(conn: asyncpg.Connection, batches: Sequence[LeadBatch]) -> None:
    """Insert each batch as pending with its document, and claim its cards."""
    for batch in batches:
        await conn.execute(_INSERT_BATCH, batch.batch_id, batch.transport, batch.checksum,
                           batch.count, batch.body().decode("utf-8"), batch.created_at)
        await conn.executemany(
            """INSERT INTO execution.handoff_items (lead_card_id, transport, batch_id, revision)
               VALUES ($1, $2, $3, $4)""",
            [(card["lead_card_id"], batch.transport, batch.batch_id, int(card.get("revision") or 1))
             for card in batch.cards],
        )


async def record_refusals(conn: asyncpg.Connection, refusals: Sequence[Refusal]) -> None:
    """Record refused batches (no document, no claims: their cards may go out later)."""
    for refusal in refusals:
        batch = refusal.batch
        await conn.execute(_INSERT_REFUSED, batch.batch_id, batch.transport, batch.checksum,
                           batch.count, "; ".join(refusal.errors)[:2000], batch.created_at)


async def open_batches(
    conn: asyncpg.Connection, transport: str, card_ids: Sequence[str] | None, states: Sequence[str]
) -> list[StoredBatch]:
    """Batches of the transport in `states`: all of them, or those holding any of `card_ids`."""
    if card_ids is None:
        rows = await conn.fetch(
            f"""SELECT {_BATCH_COLUMNS} FROM execution.handoff_batches b
                WHERE b.transport = $1 AND b.status = ANY($2::text[]) ORDER BY b.created_at,
                b.batch_id""",
            transport, list(states))
    else:
        rows = await conn.fetch(
            f"""SELECT {_BATCH_COLUMNS} FROM execution.handoff_batches b
                WHERE b.transport = $1 AND b.status = ANY($2::text[]) AND b.batch_id IN (
                    SELECT i.batch_id FROM execution.handoff_items i
                    WHERE i.transport = $1 AND i.lead_card_id = ANY($3::uuid[]))
                ORDER BY b.created_at, b.batch_id""",
            transport, list(states), list(card_ids))
    return [StoredBatch(**dict(r)) for r in rows]


async def stored_batch(conn: asyncpg.Connection, batch_id: str) -> StoredBatch | None:
    """One recorded batch by id (None when unknown)."""
    row = await conn.fetchrow(
        f"SELECT {_BATCH_COLUMNS} FROM execution.handoff_batches b WHERE b.batch_id = $1::uuid",
        batch_id)
    return StoredBatch(**dict(row)) if row else None


async def mark_delivered(conn: asyncpg.Connection, batch_id: str, location: str) -> int:
    """Record a successful delivery; returns the attempt count."""
    return await conn.fetchval(
        """UPDATE execution.handoff_batches SET status = 'delivered', location = $2,
               attempts = attempts + 1, last_error = NULL, delivered_at = now(), updated_at = now()
           WHERE batch_id = $1::uuid RETURNING attempts""",
        batch_id, location)


async def mark_failed(conn: asyncpg.Connection, batch_id: str, error: str) -> int:
    """Record a failed delivery (a delivered batch stays delivered); returns the attempt count."""
    return await conn.fetchval(
        """UPDATE execution.handoff_batches
               SET status = CASE WHEN status = 'delivered' THEN status ELSE 'failed' END,
                   attempts = attempts + 1, last_error = $2, updated_at = now()
           WHERE batch_id = $1::uuid RETURNING attempts""",
        batch_id, error[:2000])


@asynccontextmanager
async def batch_lock(pool: asyncpg.Pool, batch_id: str) -> AsyncIterator[asyncpg.Connection | None]:
    """A connection holding the batch's delivery lock, or None when another session holds it."""
    async with pool.acquire() as conn:
        key = DELIVERY_LOCK + batch_id
        if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
            yield None
            return
        try:
            yield conn
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", key)


async def batch_status(conn: asyncpg.Connection, batch_id: str) -> str | None:
    """The recorded status of a batch (None when unknown)."""
    return await conn.fetchval(
        "SELECT status FROM execution.handoff_batches WHERE batch_id = $1::uuid", batch_id)


async def batch_transport(conn: asyncpg.Connection, batch_id: str) -> str | None:
    """The transport a recorded batch went out on (None when unknown)."""
    return await conn.fetchval(
        "SELECT transport FROM execution.handoff_batches WHERE batch_id::text = $1", batch_id)


async def command_answered(conn: asyncpg.Connection, command_id: str) -> bool:
    """Whether an export command was already run (a redelivery keeps its first answer)."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM execution.export_commands WHERE command_id = $1", command_id))


async def record_command(
    conn: asyncpg.Connection, command_id: str, transport: str, resend_batch_id: str | None,
    requested_by: str, status: str, outcomes: str, error: str | None,
) -> None:
    """Record what an export command came to: the answer `sxp export` waits for."""
    await conn.execute(
        """INSERT INTO execution.export_commands
               (command_id, transport, resend_batch_id, requested_by, status, outcomes, error)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT (command_id) DO NOTHING""",
        command_id, transport, resend_batch_id, requested_by, status, outcomes, error)

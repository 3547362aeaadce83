"""Reads of the enrichment gate's records: answers to commands, batches, what they did."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def request_answer(conn: asyncpg.Connection, request_id: str) -> dict[str, Any] | None:
    """The gate's decision on a REQUEST command and its batches (None until decided)."""
    row = await conn.fetchrow("SELECT * FROM enrichment.requests WHERE request_id = $1",
                              request_id)
    if row is None:
        return None
    batches = await conn.fetch(
        """SELECT batch_id, cardinality(lead_card_ids) AS size,
                  reserved_usd::float8 AS reserved_usd
           FROM enrichment.batches WHERE request_id = $1 ORDER BY batch_id""", request_id)
    return {**dict(row), "batches": [dict(b) for b in batches]}


async def command_answer(conn: asyncpg.Connection, request_id: str) -> dict[str, Any] | None:
    """The gate's answer to a DRY_RUN or REAP command (None until answered)."""
    answer = await conn.fetchval(
        "SELECT answer FROM enrichment.command_answers WHERE request_id = $1", request_id)
    return None if answer is None else json.loads(answer)


async def open_batches(conn: asyncpg.Connection, request_id: str) -> int:
    """Batches of a request still waiting for the adapter."""
    return int(await conn.fetchval(
        "SELECT count(*) FROM enrichment.batches WHERE request_id = $1 AND status = 'requested'",
        request_id))


async def request_numbers(conn: asyncpg.Connection, request_id: str) -> dict[str, Any]:
    """What one request did: batches, cards enriched or failed, spend against its reservation."""
    row = await conn.fetchrow(
        """SELECT count(*) AS batches,
                  coalesce(sum(cardinality(lead_card_ids)), 0) AS cards,
                  coalesce(sum(reserved_usd), 0)::float8 AS reserved,
                  coalesce(sum(settled_usd), 0)::float8 AS settled
           FROM enrichment.batches WHERE request_id = $1""", request_id)
    statuses = await conn.fetch(
        """SELECT c.enrichment_status AS status, count(*) AS n
           FROM execution.lead_cards c
           JOIN enrichment.batches b ON c.lead_card_id = ANY(b.lead_card_ids)
           WHERE b.request_id = $1 GROUP BY 1""", request_id)
    tier2 = await conn.fetchval("SELECT count(*) FROM contact.contacts")
    by_status = {r["status"]: r["n"] for r in statuses}
    return {"batches": row["batches"], "cards": row["cards"], "reserved_usd": row["reserved"],
            "settled_usd": row["settled"], "enriched": by_status.get("ENRICHED", 0),
            "failed": by_status.get("FAILED", 0), "contacts in Tier 2 (all requests)": tier2}

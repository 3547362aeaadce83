"""Reads of the audit projection: the compliance trail of a batch, a lead card, or a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

# A batch's own events, plus the handoffs that carried any of its cards onward.
_BY_BATCH = """batch_id = $1 OR (event_type IN ('handoff_emitted', 'handoff_failed')
    AND lead_card_ids ?| (SELECT coalesce(array_agg(DISTINCT id), '{}')
                          FROM audit.audit_log, jsonb_array_elements_text(lead_card_ids) AS id
                          WHERE batch_id = $1))"""


async def trail(conn: asyncpg.Connection, batch: str | None, lead_card: str | None,
                since: datetime | None) -> list[Any]:
    """Audit rows for a batch, a lead card, or since a time, oldest first."""
    arg: str | datetime | None
    if batch:
        where, arg = _BY_BATCH, batch
    elif lead_card:
        where, arg = "lead_card_ids ? $1", lead_card
    else:
        where, arg = "occurred_at >= $1", since
    return list(await conn.fetch(f"SELECT * FROM audit.audit_log WHERE {where} ORDER BY seq", arg))

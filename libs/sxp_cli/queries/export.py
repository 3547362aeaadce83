"""Reads of the exporter's records: answers to `sxp export`, deliveries per transport."""

from __future__ import annotations

from typing import Any

import asyncpg


async def export_answer(conn: asyncpg.Connection, command_id: str) -> dict[str, Any] | None:
    """The exporter's recorded answer to an export command (None until answered)."""
    row = await conn.fetchrow(
        "SELECT status, outcomes, error FROM execution.export_commands WHERE command_id = $1",
        command_id)
    return None if row is None else dict(row)


async def delivered_per_transport(conn: asyncpg.Connection) -> dict[str, dict[str, int]]:
    """Delivered batches and cards per transport, from the exporter's own record."""
    rows = await conn.fetch(
        """SELECT b.transport, count(DISTINCT b.batch_id) AS batches,
                  count(i.lead_card_id) AS cards
           FROM execution.handoff_batches b JOIN execution.handoff_items i USING (batch_id)
           WHERE b.status = 'delivered' GROUP BY b.transport""")
    return {r["transport"]: {"batches": r["batches"], "cards": r["cards"]} for r in rows}

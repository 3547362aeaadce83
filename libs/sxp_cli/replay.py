"""`sxp replay audit`: rebuild the audit projection from the compacted topic and compare.

The rebuild goes into a fresh table (audit.audit_log_replay) through the same append path
as the live projector. When the live table is gone, it is recreated from the topic.
`--verify` checks the live table's own hash chain row by row, then compares it with the
rebuild: counts, event ids in order, and the chain head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sxp_common import avro
from sxp_common.audit import GENESIS_HASH, chain_hash, event_hash
from sxp_common.audit_store import (
    LIVE_TABLE,
    REFUSE_CHANGE_FUNCTION,
    append_events,
    audit_table_ddl,
    row_to_event,
)
from sxp_common.db import READER_ROLE, SERVICE_ROLES, asyncpg_dsn
from sxp_common.kafka import read_topic
from sxp_common.settings import Settings
from sxp_common.topics import AUDIT

REPLAY_TABLE = "audit.audit_log_replay"
CHUNK = 1000


@dataclass
class ReplayResult:
    """What a replay did and, with --verify, the first difference found (None if they agree)."""

    table: str
    events_read: int
    rows: int
    chain_head: str
    restored_live: bool = False
    verified: bool | None = None
    difference: str | None = None


async def _create_table(conn: asyncpg.Connection, table: str) -> None:
    await conn.execute(f"DROP TABLE IF EXISTS {table}")
    await conn.execute(REFUSE_CHANGE_FUNCTION)
    for statement in audit_table_ddl(table):
        await conn.execute(statement)


async def _grant_live(conn: asyncpg.Connection) -> None:
    role = SERVICE_ROLES["audit_projector"]
    await conn.execute(f"GRANT SELECT, INSERT ON {LIVE_TABLE} TO {role}")
    await conn.execute(f"GRANT USAGE, SELECT ON SEQUENCE {LIVE_TABLE}_seq_seq TO {role}")
    # The read-only roles: the CLI's reader and the API (compliance trails, publish jobs).
    await conn.execute(f"GRANT SELECT ON {LIVE_TABLE} TO {READER_ROLE}, {SERVICE_ROLES['api']}")


async def _append_all(conn: asyncpg.Connection, events: Sequence[dict[str, Any]],
                      table: str) -> int:
    total = 0
    for start in range(0, len(events), CHUNK):
        async with conn.transaction():
            total += await append_events(conn, events[start:start + CHUNK], table)
    return total


async def _head(conn: asyncpg.Connection, table: str) -> str:
    head = await conn.fetchval(f"SELECT row_hash FROM {table} ORDER BY seq DESC LIMIT 1")
    return head or GENESIS_HASH


async def replay_audit(settings: Settings, since: datetime | None = None,
                       verify: bool = False) -> ReplayResult:
    """Rebuild from the topic into a fresh table; restore the live table if it is missing."""
    since_ms = int(since.timestamp() * 1000) if since else None
    records = await read_topic(settings, AUDIT, since_ms)
    events = [avro.decode(AUDIT, r.value) for r in records if r.value]
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        restored = not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", LIVE_TABLE)
        if restored:
            await _create_table(conn, LIVE_TABLE)
            await _grant_live(conn)
            await _append_all(conn, events, LIVE_TABLE)
        await _create_table(conn, REPLAY_TABLE)
        rows = await _append_all(conn, events, REPLAY_TABLE)
        result = ReplayResult(REPLAY_TABLE, len(events), rows, await _head(conn, REPLAY_TABLE),
                              restored)
        if verify:
            result.difference = await first_difference(conn, compare_chain_head=since is None)
            result.verified = result.difference is None
        return result
    finally:
        await conn.close()


async def first_difference(conn: asyncpg.Connection, compare_chain_head: bool = True) -> str | None:
    """The first way the live projection disagrees with the rebuild or its own chain."""
    live = await conn.fetch(f"SELECT * FROM {LIVE_TABLE} ORDER BY seq")
    broken = check_chain(live)
    if broken:
        return broken
    rebuilt = await conn.fetch(f"SELECT * FROM {REPLAY_TABLE} ORDER BY seq")
    if not compare_chain_head:
        live_hashes = {r["event_id"]: r["event_hash"] for r in live}
        for row in rebuilt:
            if live_hashes.get(row["event_id"]) != row["event_hash"]:
                return f"event {row['event_id']} differs from or is missing in the live projection"
        return None
    if len(live) != len(rebuilt):
        return f"row count differs: live {len(live)}, replay {len(rebuilt)}"
    for position, (a, b) in enumerate(zip(live, rebuilt, strict=True), start=1):
        if a["event_id"] != b["event_id"]:
            return f"row {position}: live has event {a['event_id']}, replay has {b['event_id']}"
        if a["row_hash"] != b["row_hash"]:
            return f"row {position} (event {a['event_id']}): chain hash differs from the replay"
    return None


def check_chain(rows: Sequence[Any]) -> str | None:
    """Recompute each row's event hash and link; name the first row that does not hold."""
    prev = GENESIS_HASH
    for row in rows:
        digest = event_hash(row_to_event(row))
        if digest != row["event_hash"]:
            return (f"live row seq {row['seq']} (event {row['event_id']}) was altered: "
                    "its content no longer matches its hash")
        if row["prev_hash"] != prev or row["row_hash"] != chain_hash(prev, digest):
            return f"live row seq {row['seq']} (event {row['event_id']}) breaks the hash chain"
        prev = row["row_hash"]
    return None

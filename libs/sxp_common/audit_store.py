"""The audit projection in Postgres: one table shape, one append path with a hash chain.

Used by the audit projector (live) and by `sxp replay audit` (rebuild), so both build
the chain the same way: rows in arrival order, each row's hash = sha256(previous row's
hash + the event's hash). Appends are serialized by an advisory lock so several
projector instances never fork the chain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from sxp_common.audit import GENESIS_HASH, chain_hash, event_hash

LIVE_TABLE = "audit.audit_log"


def audit_table_ddl(table: str) -> list[str]:
    """CREATE statements for an audit projection table named `table` (schema-qualified)."""
    name = table.split(".")[-1]
    return [
        f"""CREATE TABLE {table} (
            seq bigserial PRIMARY KEY,
            event_id text NOT NULL UNIQUE,
            event_type text NOT NULL,
            occurred_at timestamptz NOT NULL,
            actor_kind text NOT NULL,
            actor_name text NOT NULL,
            actor_instance text NOT NULL,
            batch_id text,
            lead_card_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
            lead_card_count integer NOT NULL DEFAULT 0,
            lead_card_ref text,
            schema_version text NOT NULL,
            outcome text NOT NULL,
            reason text,
            provider text,
            cost_usd numeric(14, 4),
            checksum text,
            details jsonb NOT NULL DEFAULT '{{}}'::jsonb,
            trace_id text,
            event_hash text NOT NULL,
            prev_hash text NOT NULL,
            row_hash text NOT NULL,
            projected_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX {name}_batch ON {table} (batch_id)",
        f"CREATE INDEX {name}_time ON {table} (occurred_at)",
        f"CREATE INDEX {name}_cards ON {table} USING gin (lead_card_ids)",
        f"""CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()""",
    ]


REFUSE_CHANGE_FUNCTION = """CREATE OR REPLACE FUNCTION audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$"""

_INSERT = """
INSERT INTO {table} (event_id, event_type, occurred_at, actor_kind, actor_name, actor_instance,
    batch_id, lead_card_ids, lead_card_count, lead_card_ref, schema_version, outcome, reason,
    provider, cost_usd, checksum, details, trace_id, event_hash, prev_hash, row_hash)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
    $6::text[], $7::text[], $8::jsonb[], $9::int[], $10::text[], $11::text[], $12::text[],
    $13::text[], $14::text[], $15::numeric[], $16::text[], $17::jsonb[], $18::text[],
    $19::text[], $20::text[], $21::text[])
"""


def _row(event: Mapping[str, Any], digest: str, prev: str, row_hash: str) -> tuple[Any, ...]:
    actor = event["actor"]
    return (
        event["event_id"], event["event_type"], event["occurred_at"], actor["kind"],
        actor["name"], actor["instance"], event.get("batch_id"),
        json.dumps(list(event.get("lead_card_ids") or [])), int(event.get("lead_card_count") or 0),
        event.get("lead_card_ref"), event["schema_version"], event["outcome"], event.get("reason"),
        event.get("provider"), event.get("cost_usd"), event.get("checksum"),
        json.dumps(dict(event.get("details") or {}), sort_keys=True), event.get("trace_id"),
        digest, prev, row_hash,
    )


async def append_events(
    conn: asyncpg.Connection, events: Sequence[Mapping[str, Any]], table: str = LIVE_TABLE
) -> int:
    """Append events not yet in `table`, chained in the given order; return how many.

    Must run inside a transaction; the advisory lock is held until it ends.
    """
    if not events:
        return 0
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", table)
    ids = [e["event_id"] for e in events]
    known = {r["event_id"] for r in await conn.fetch(
        f"SELECT event_id FROM {table} WHERE event_id = ANY($1::text[])", ids)}
    prev = await conn.fetchval(f"SELECT row_hash FROM {table} ORDER BY seq DESC LIMIT 1")
    prev = prev or GENESIS_HASH
    rows = []
    for event in events:
        if event["event_id"] in known:
            continue
        known.add(event["event_id"])
        digest = event_hash(event)
        link = chain_hash(prev, digest)
        rows.append(_row(event, digest, prev, link))
        prev = link
    if rows:
        await conn.execute(_INSERT.format(table=table), *map(list, zip(*rows, strict=True)))
    return len(rows)


def row_to_event(row: Mapping[str, Any]) -> dict[str, Any]:
    """An audit_log row back into the event it projects (to recompute its hash)."""
    ids = row["lead_card_ids"]
    details = row["details"]
    return {
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "occurred_at": row["occurred_at"],
        "actor": {"kind": row["actor_kind"], "name": row["actor_name"],
                  "instance": row["actor_instance"]},
        "batch_id": row["batch_id"],
        "lead_card_ids": json.loads(ids) if isinstance(ids, str) else ids,
        "lead_card_count": row["lead_card_count"],
        "lead_card_ref": row["lead_card_ref"],
        "schema_version": row["schema_version"],
        "outcome": row["outcome"],
        "reason": row["reason"],
        "provider": row["provider"],
        "cost_usd": None if row["cost_usd"] is None else float(row["cost_usd"]),
        "checksum": row["checksum"],
        "details": json.loads(details) if isinstance(details, str) else details,
        "trace_id": row["trace_id"],
    }

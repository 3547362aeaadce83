"""Consumed positions stored in the same transaction as the state change.

Kafka offsets are committed after the database commit, so a crash between the
two redelivers a batch that was already applied. Recording the next offset per
partition in Postgres, inside the handler's transaction, tells the handler which
records it has applied before, so counters and other non-idempotent effects are
applied exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from sxp_common.kafka import InboundRecord

RecordPosition = tuple[str, int, int]


async def claim_fresh(
    conn: asyncpg.Connection, consumer_group: str, records: Sequence[InboundRecord]
) -> set[RecordPosition]:
    """Return the positions not applied before and advance the stored positions past them.

    Must run inside the transaction that applies the records.
    """
    if not records:
        return set()
    topics = [r.topic for r in records]
    partitions = [r.partition for r in records]
    rows = await conn.fetch(
        """
        SELECT topic, partition, next_offset FROM ops.consumer_positions
        WHERE consumer_group = $1
          AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))
        FOR UPDATE
        """,
        consumer_group,
        topics,
        partitions,
    )
    stored = {(row["topic"], row["partition"]): row["next_offset"] for row in rows}
    fresh = {
        (r.topic, r.partition, r.offset)
        for r in records
        if r.offset >= stored.get((r.topic, r.partition), -1)
    }
    next_offsets: dict[tuple[str, int], int] = {}
    for r in records:
        key = (r.topic, r.partition)
        next_offsets[key] = max(next_offsets.get(key, 0), r.offset + 1)
    await conn.execute(
        """
        INSERT INTO ops.consumer_positions (consumer_group, topic, partition, next_offset)
        SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS x(t, p, o)
        ON CONFLICT (consumer_group, topic, partition) DO UPDATE
        SET next_offset = GREATEST(ops.consumer_positions.next_offset, EXCLUDED.next_offset),
            updated_at = now()
        """,
        consumer_group,
        [k[0] for k in next_offsets],
        [k[1] for k in next_offsets],
        list(next_offsets.values()),
    )
    return fresh

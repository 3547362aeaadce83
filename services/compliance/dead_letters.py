"""Dead letters that hold a subject, inside the caller's transaction, as sxp_compliance.

Kafka cannot take one record out of the dead-letter topic (it is not compacted, and a
compacted one would lose the redrive's history). So an erasure deletes what Postgres holds
of the subject's dead letters (the copies still staged in `ops.outbox`) and marks those on
the topic in `compliance.erased_dead_letters`, which `sxp deadletter` shows and a redrive
never sends; the topic's retention is the bound on how long their bytes stay. Which dead
letters name the subject is the domain's `dead_letter_refs`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import asyncpg

from services.compliance.adapters import count_of
from services.compliance.domain import DeadLetterRefs, dead_letter_seen, marks_cutoff
from sxp_common.kafka import read_topic
from sxp_common.settings import Settings
from sxp_common.topics import DEADLETTER


async def dead_letters_on_topic(settings: Settings) -> list[DeadLetterRefs]:
    """Every dead letter the topic holds now, read (no consumer group, nothing committed)."""
    return [dead_letter_seen(r.value) for r in await read_topic(settings, DEADLETTER) if r.value]


async def drop_staged_dead_letters(conn: asyncpg.Connection, refs: set[str]) -> int:
    """Delete the subject's dead letters still staged in the outbox, so they never reach the
    topic. A row a relay is sending is locked: this waits for it, and then it is on the
    topic, where the mark catches it (the caller reads the topic after this)."""
    rows = await conn.fetch("SELECT seq, value FROM ops.outbox WHERE topic = $1 FOR UPDATE",
                            DEADLETTER)
    seqs = [r["seq"] for r in rows if dead_letter_seen(r["value"]).refs & refs]
    if not seqs:
        return 0
    return count_of(await conn.execute("DELETE FROM ops.outbox WHERE seq = ANY($1::bigint[])",
                                       seqs))


async def mark_dead_letters(conn: asyncpg.Connection, letters: Iterable[DeadLetterRefs],
                            refs: set[str], request_id: str) -> int:
    """Mark the dead letters that name the subject as erased; how many there are."""
    ids = sorted({letter.id for letter in letters if letter.refs & refs})
    if ids:
        await conn.execute("""INSERT INTO compliance.erased_dead_letters (dead_letter_id,
                              request_id) SELECT unnest($1::text[]), $2
                              ON CONFLICT (dead_letter_id) DO NOTHING""", ids, request_id)
    return len(ids)


async def expire_dead_letters(conn: asyncpg.Connection,
                              cutoff: datetime | None) -> dict[str, int]:
    """Retention: staged dead letters older than the dead-letter age (a relay that never sent
    them), and the marks of dead letters that have surely left the topic."""
    if cutoff is None:
        return {}
    staged = count_of(await conn.execute(
        "DELETE FROM ops.outbox WHERE topic = $1 AND created_at < $2", DEADLETTER, cutoff))
    marks = count_of(await conn.execute(
        "DELETE FROM compliance.erased_dead_letters WHERE marked_at < $1",
        marks_cutoff(cutoff)))
    return {"staged_dead_letters": staged, "erased_dead_letter_marks": marks}

"""The audience service's SQL: definitions and versions, the membership statements, size
history, cached qualifications and command answers (as role sxp_audience)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.audience.domain import (
    Decision,
    MembershipChange,
    Split,
    Stored,
    membership_change,
    split_of,
)
from sxp_common.audience_criteria import Node
from sxp_common.audience_scoring import Qualification, qualification_cache_key
from sxp_common.audience_sql import membership_statements

AUDIENCE_COLUMNS = """audience_id::text AS audience_id, name, description, criteria,
    criteria_hash, version, scorer, deleted_at IS NOT NULL AS deleted"""


def _stored(row: asyncpg.Record) -> Stored:
    criteria = row["criteria"]
    return Stored(row["audience_id"], row["name"], row["description"],
                  json.loads(criteria) if isinstance(criteria, str) else criteria,
                  row["criteria_hash"], row["version"], row["scorer"], row["deleted"])


async def audience_for_update(conn: asyncpg.Connection, name: str) -> Stored | None:
    """The audience named `name`, locked for the command's transaction (None: never made)."""
    row = await conn.fetchrow(
        f"SELECT {AUDIENCE_COLUMNS} FROM audience.audiences WHERE name = $1 FOR UPDATE", name)
    return None if row is None else _stored(row)


MEMBERSHIP_LOCK = "sxp-audience-membership"


async def lock_membership(conn: asyncpg.Connection, exclusive: bool) -> None:
    """Hold, until the transaction ends, the lock between commands (exclusive: they change
    definitions and rerun the statements over every card) and card batches (shared: they run
    concurrently with each other). Without it a card batch could miss an audience created
    while its cards changed, and keep that audience stale for those cards."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))" if exclusive
                       else "SELECT pg_advisory_xact_lock_shared(hashtext($1))",
                       MEMBERSHIP_LOCK)


async def live_audiences(conn: asyncpg.Connection) -> list[Stored]:
    """Every audience not deleted, locked against a concurrent command (share lock)."""
    rows = await conn.fetch(f"""SELECT {AUDIENCE_COLUMNS} FROM audience.audiences
                                WHERE deleted_at IS NULL ORDER BY name FOR SHARE""")
    return [_stored(row) for row in rows]


async def save_definition(conn: asyncpg.Connection, decision: Decision, action: str,
                          changed_by: dict[str, str]) -> None:
    """Write the audience row as the decision leaves it and append its version row."""
    d = decision.definition
    criteria = json.dumps(d.criteria, sort_keys=True)
    await conn.execute(
        """INSERT INTO audience.audiences AS a (audience_id, name, description, criteria,
               criteria_hash, version, scorer, deleted_at)
           VALUES ($1::uuid, $2, $3, $4::jsonb, $5, $6, $7,
                   CASE WHEN $8 THEN now() END)
           ON CONFLICT (audience_id) DO UPDATE SET description = EXCLUDED.description,
               criteria = EXCLUDED.criteria, criteria_hash = EXCLUDED.criteria_hash,
               version = EXCLUDED.version, scorer = EXCLUDED.scorer,
               deleted_at = EXCLUDED.deleted_at, updated_at = now()""",
        d.audience_id, d.name, d.description, criteria, d.criteria_hash, decision.version,
        d.scorer, action == "deleted")
    await conn.execute(
        """INSERT INTO audience.audience_versions (audience_id, version, action, criteria,
               criteria_hash, description, changed_by)
           VALUES ($1::uuid, $2, $3, $4::jsonb, $5, $6, $7::jsonb)""",
        d.audience_id, decision.version, action, criteria, d.criteria_hash, d.description,
        json.dumps(changed_by))


async def apply_membership(conn: asyncpg.Connection, node: Node, audience_id: str,
                           hash_: str, cards: list[str] | None = None) -> MembershipChange:
    """Run the admit and evict statements (all cards, or only `cards`) and count the moves."""
    statements = membership_statements(node, audience_id, hash_, cards=cards, with_pool=True)
    admitted = await conn.fetch(statements.admit + " RETURNING (m.xmax = 0) AS joined",
                                *statements.admit_params)
    evicted = await conn.execute(statements.evict, *statements.evict_params)
    return membership_change((row["joined"] for row in admitted), int(evicted.split()[-1]))


async def drop_members(conn: asyncpg.Connection, audience_id: str) -> int:
    """Remove every member of a deleted audience; its qualifications stay as history."""
    status = await conn.execute("DELETE FROM audience.members WHERE audience_id = $1::uuid",
                                audience_id)
    return int(status.split()[-1])


async def record_size(conn: asyncpg.Connection, audience_id: str) -> Split:
    """Append the audience's size and split to its history (reads only its members)."""
    rows = await conn.fetch("""SELECT audience_pool, count(*) AS n FROM audience.members
                               WHERE audience_id = $1::uuid GROUP BY audience_pool""",
                            audience_id)
    split = split_of((row["audience_pool"], row["n"]) for row in rows)
    await conn.execute(
        """INSERT INTO audience.size_history (audience_id, taken_at, members, by_platform,
               by_tribe, by_tier)
           VALUES ($1::uuid, clock_timestamp(), $2, $3::jsonb, $4::jsonb, $5::jsonb)""",
        audience_id, split.members, json.dumps(split.by_platform), json.dumps(split.by_tribe),
        json.dumps(split.by_tier))
    return split


async def answered(conn: asyncpg.Connection, request_id: str) -> bool:
    """Has this command been answered (a redelivery)?"""
    return bool(await conn.fetchval(
        "SELECT true FROM audience.command_answers WHERE request_id = $1", request_id))


async def record_answer(conn: asyncpg.Connection, request_id: str, audience_id: str | None,
                        action: str, outcome: str, detail: dict[str, Any]) -> None:
    """The answer the CLI and the API poll for (sxp_common.audience_commands)."""
    await conn.execute(
        """INSERT INTO audience.command_answers (request_id, audience_id, action, outcome,
               detail) VALUES ($1, $2::uuid, $3, $4, $5::jsonb)
           ON CONFLICT (request_id) DO NOTHING""",
        request_id, audience_id, action, outcome, json.dumps(detail, sort_keys=True))


SHORTLIST = """
SELECT m.lead_card_id::text AS lead_card_id, c.content_hash, c.persona, c.persona_confidence,
       c.tribe, c.tribe_confidence, c.industry, c.industry_confidence, c.execution_label,
       c.execution_label_confidence, p.platform, p.username, p.display_name, p.bio,
       p.category, p.location, p.followers, p.posts, p.verified
FROM audience.members m
JOIN execution.lead_cards c ON c.lead_card_id = m.lead_card_id
JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
LEFT JOIN audience.qualifications q ON q.audience_id = m.audience_id
     AND q.lead_card_id = m.lead_card_id AND q.content_hash = c.content_hash
     AND q.criteria_hash = $2
WHERE m.audience_id = $1::uuid AND q.lead_card_id IS NULL
ORDER BY m.lead_card_id LIMIT $3"""


async def unscored_members(conn: asyncpg.Connection, audience_id: str, hash_: str,
                           limit: int) -> list[asyncpg.Record]:
    """Members with no qualification at their current key (content hash, criteria hash)."""
    return list(await conn.fetch(SHORTLIST, audience_id, hash_, limit))


async def cached_members(conn: asyncpg.Connection, audience_id: str, hash_: str) -> int:
    """Members whose qualification at their current key is already stored."""
    return int(await conn.fetchval(
        """SELECT count(*) FROM audience.members m
           JOIN execution.lead_cards c ON c.lead_card_id = m.lead_card_id
           JOIN audience.qualifications q ON q.audience_id = m.audience_id
                AND q.lead_card_id = m.lead_card_id AND q.content_hash = c.content_hash
                AND q.criteria_hash = $2
           WHERE m.audience_id = $1::uuid""", audience_id, hash_))


async def store_qualifications(conn: asyncpg.Connection, audience_id: str, hash_: str,
                               scored: Sequence[tuple[asyncpg.Record, Qualification]]) -> int:
    """Insert the scores under their cache key; one already there is kept (returns inserted)."""
    rows = [(audience_id, row["lead_card_id"], row["content_hash"], hash_,
             qualification_cache_key(audience_id, row["lead_card_id"], row["content_hash"],
                                     hash_),
             q.score, json.dumps(list(q.reasons)), q.scorer, q.refused) for row, q in scored]
    if not rows:
        return 0
    status = await conn.fetch(
        """INSERT INTO audience.qualifications (audience_id, lead_card_id, content_hash,
               criteria_hash, cache_key, score, reasons, scorer, refused)
           SELECT a::uuid, l::uuid, ch, h, k, s, r::jsonb, sc, rf
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::float8[], $7::text[], $8::text[], $9::text[])
                AS x(a, l, ch, h, k, s, r, sc, rf)
           ON CONFLICT DO NOTHING RETURNING 1""",
        *[list(column) for column in zip(*rows, strict=True)])
    return len(status)

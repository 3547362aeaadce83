"""Reads of the audience service's records: definitions, versions, members, sizes.

The one place `sxp audience list|show|members|size` and the API's `/v1/audiences` read them:
read-only, for any role that may SELECT the audience schema (sxp_reader, sxp_api). Members
carry the card's labels and public handle, never a Tier 2 field.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

# Who made an audience's current life: the `requested_by` of its latest `created` version.
_CREATED_BY = """(SELECT v.changed_by ->> 'requested_by' FROM audience.audience_versions v
                  WHERE v.audience_id = a.audience_id AND v.action = 'created'
                  ORDER BY v.version DESC LIMIT 1) AS created_by"""
_MEMBER_COLUMNS = """m.lead_card_id::text AS lead_card_id, c.platform, c.username, c.persona,
    c.tribe, c.industry, c.execution_label, c.execution_label_confidence, c.audience_pool,
    c.readiness, c.enrichment_status, m.joined_at, q.score, q.scorer"""
_MEMBER_JOINS = """JOIN execution.lead_cards c ON c.lead_card_id = m.lead_card_id
    LEFT JOIN audience.qualifications q ON q.audience_id = m.audience_id
         AND q.lead_card_id = m.lead_card_id AND q.content_hash = c.content_hash
         AND q.criteria_hash = $2"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def audiences(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every live audience with its member count, when it last changed and who made it."""
    rows = await conn.fetch(
        f"""SELECT a.name, a.audience_id::text AS audience_id, a.description, a.version,
                   a.criteria_hash, a.scorer, a.created_at, a.updated_at, {_CREATED_BY},
                   (SELECT count(*) FROM audience.members m
                    WHERE m.audience_id = a.audience_id) AS members
            FROM audience.audiences a WHERE a.deleted_at IS NULL ORDER BY a.name""")
    return [dict(row) for row in rows]


async def audience(conn: asyncpg.Connection, name: str) -> dict[str, Any] | None:
    """One live audience: definition, versions, latest size and qualifications (None: none)."""
    row = await conn.fetchrow(
        f"""SELECT a.name, a.audience_id::text AS audience_id, a.description, a.criteria,
                   a.criteria_hash, a.grammar_version, a.version, a.scorer, a.created_at,
                   a.updated_at, {_CREATED_BY}
            FROM audience.audiences a WHERE a.name = $1 AND a.deleted_at IS NULL""", name)
    if row is None:
        return None
    found = {**dict(row), "criteria": _json(row["criteria"])}
    versions = await conn.fetch(
        """SELECT version, action, criteria_hash, changed_at, changed_by
           FROM audience.audience_versions WHERE audience_id = $1::uuid ORDER BY version""",
        found["audience_id"])
    found["versions"] = [{**dict(v), "changed_by": _json(v["changed_by"])} for v in versions]
    found["size"] = await size(conn, found["audience_id"])
    found["qualified"] = await conn.fetchval(
        """SELECT count(*) FROM audience.qualifications
           WHERE audience_id = $1::uuid AND criteria_hash = $2""",
        found["audience_id"], found["criteria_hash"])
    return found


async def size(conn: asyncpg.Connection, audience_id: str) -> dict[str, Any]:
    """Members now, and the latest recorded split by platform, tribe and follower tier."""
    members = await conn.fetchval(
        "SELECT count(*) FROM audience.members WHERE audience_id = $1::uuid", audience_id)
    row = await conn.fetchrow(
        """SELECT taken_at, members, by_platform, by_tribe, by_tier FROM audience.size_history
           WHERE audience_id = $1::uuid ORDER BY taken_at DESC LIMIT 1""", audience_id)
    split: dict[str, Any] = {} if row is None else {
        "taken_at": row["taken_at"], "recorded_members": row["members"],
        "by_platform": _json(row["by_platform"]), "by_tribe": _json(row["by_tribe"]),
        "by_tier": _json(row["by_tier"])}
    return {"members": members, **split}


async def members(conn: asyncpg.Connection, audience_id: str, criteria_hash: str,
                  limit: int) -> list[dict[str, Any]]:
    """Members, best qualified first (unscored last), with their labels and current score."""
    rows = await conn.fetch(
        f"""SELECT {_MEMBER_COLUMNS} FROM audience.members m {_MEMBER_JOINS}
            WHERE m.audience_id = $1::uuid
            ORDER BY q.score DESC NULLS LAST, m.lead_card_id LIMIT $3""",
        audience_id, criteria_hash, limit)
    return [dict(row) for row in rows]


async def members_page(conn: asyncpg.Connection, audience_id: str, criteria_hash: str,
                       after_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Members in lead card id order after `after_id`: a keyset page on the members' primary
    key (no OFFSET, no sort of the whole audience), so paging to the end sees each member that
    stays a member exactly once. Up to `limit` rows."""
    after = uuid.UUID(int=0) if after_id is None else uuid.UUID(after_id)
    rows = await conn.fetch(
        f"""SELECT {_MEMBER_COLUMNS} FROM audience.members m {_MEMBER_JOINS}
            WHERE m.audience_id = $1::uuid AND m.lead_card_id > $3
            ORDER BY m.lead_card_id LIMIT $4""",
        audience_id, criteria_hash, after, limit)
    return [dict(row) for row in rows]

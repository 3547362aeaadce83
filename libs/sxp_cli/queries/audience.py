"""Reads of the audience service's records: definitions, versions, members, sizes."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def audiences(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every live audience with its member count and when it last changed."""
    rows = await conn.fetch(
        """SELECT a.name, a.audience_id::text AS audience_id, a.description, a.version,
                  a.criteria_hash, a.scorer, a.updated_at,
                  (SELECT count(*) FROM audience.members m
                   WHERE m.audience_id = a.audience_id) AS members
           FROM audience.audiences a WHERE a.deleted_at IS NULL ORDER BY a.name""")
    return [dict(row) for row in rows]


async def audience(conn: asyncpg.Connection, name: str) -> dict[str, Any] | None:
    """One live audience: definition, versions, latest size and qualifications (None: none)."""
    row = await conn.fetchrow(
        """SELECT name, audience_id::text AS audience_id, description, criteria, criteria_hash,
                  grammar_version, version, scorer, created_at, updated_at
           FROM audience.audiences WHERE name = $1 AND deleted_at IS NULL""", name)
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
        """SELECT m.lead_card_id::text AS lead_card_id, c.platform, c.username, c.persona,
                  c.tribe, c.execution_label, c.execution_label_confidence, c.audience_pool,
                  c.readiness, c.enrichment_status, m.joined_at, q.score, q.scorer
           FROM audience.members m
           JOIN execution.lead_cards c ON c.lead_card_id = m.lead_card_id
           LEFT JOIN audience.qualifications q ON q.audience_id = m.audience_id
                AND q.lead_card_id = m.lead_card_id AND q.content_hash = c.content_hash
                AND q.criteria_hash = $2
           WHERE m.audience_id = $1::uuid
           ORDER BY q.score DESC NULLS LAST, m.lead_card_id LIMIT $3""",
        audience_id, criteria_hash, limit)
    return [dict(row) for row in rows]

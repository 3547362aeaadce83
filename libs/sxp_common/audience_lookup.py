"""Finding a live audience by name, for the commands that use one (enrich, export, report).

Read-only: any role that may SELECT `audience.audiences` (sxp_reader, sxp_api) can call it.
An unknown or deleted name is a one-line `UnknownAudience` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


class UnknownAudience(ValueError):
    """No live audience has this name."""


@dataclass(frozen=True)
class AudienceRef:
    """What a command needs to name an audience: its id and the hash of its current criteria."""

    audience_id: str
    name: str
    criteria_hash: str
    version: int


async def audience_by_name(conn: asyncpg.Connection, name: str) -> AudienceRef:
    """The live (not deleted) audience called `name`, or UnknownAudience."""
    row = await conn.fetchrow(
        """SELECT audience_id::text AS audience_id, name, criteria_hash, version
           FROM audience.audiences WHERE name = $1 AND deleted_at IS NULL""", name)
    if row is None:
        raise UnknownAudience(f"no audience named {name!r}; `sxp audience list` shows them")
    return AudienceRef(**dict(row))

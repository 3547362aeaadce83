"""API keys of the HTTP API: made by `sxp api-keys create`, checked by the API on each request.

A key is shown once, when it is made; only its SHA-256 is stored (`api.api_keys`), so the
table leaks nothing that would let anyone call the API. Scopes say what a key may do.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

INGEST = "ingest"
READ = "read"
READ_CONTACTS = "read:contacts"
ENRICH = "enrich"
EXPORT = "export"
AUDIENCE = "audience"  # define, change, delete and qualify audiences (migration 0014)
ADMIN = "admin"
SCOPES = (INGEST, READ, READ_CONTACTS, ENRICH, EXPORT, AUDIENCE, ADMIN)
KEY_PREFIX = "sxp_"


@dataclass(frozen=True)
class ApiKey:
    """A stored key: never the key itself, only what it may do and whether it still works."""

    key_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime | None = None
    revoked_at: datetime | None = None

    def allows(self, scope: str) -> bool:
        """True when the key has `scope` (admin has every scope)."""
        return scope in self.scopes or ADMIN in self.scopes

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, without any secret."""
        return {"id": self.key_id, "name": self.name, "scopes": list(self.scopes),
                "created_at": self.created_at and self.created_at.isoformat(),
                "revoked_at": self.revoked_at and self.revoked_at.isoformat()}


def check_scopes(scopes: list[str]) -> tuple[str, ...]:
    """Scopes validated and de-duplicated in SCOPES order (ValueError naming the bad ones)."""
    wanted = {s.strip().lower() for s in scopes}
    unknown = sorted(wanted - set(SCOPES))
    if not wanted or unknown:
        raise ValueError(f"--scope must be one of {', '.join(SCOPES)}; "
                         f"got {', '.join(unknown) or 'none'}")
    return tuple(s for s in SCOPES if s in wanted)


def new_key() -> str:
    """A fresh random key (256 bits), shown to the user once."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """What is stored and looked up: the hex SHA-256 of the key."""
    return hashlib.sha256(key.encode()).hexdigest()


def _from_row(row: Any) -> ApiKey:
    return ApiKey(str(row["id"]), row["name"], tuple(row["scopes"]), row["created_at"],
                  row["revoked_at"])


async def create(conn: asyncpg.Connection, scopes: tuple[str, ...],
                 name: str = "") -> tuple[ApiKey, str]:
    """Store a new key's hash; return the stored key and the key itself (never stored)."""
    key = new_key()
    row = await conn.fetchrow(
        """INSERT INTO api.api_keys (id, name, key_sha256, scopes) VALUES ($1, $2, $3, $4)
           RETURNING id, name, scopes, created_at, revoked_at""",
        uuid.uuid4(), name, key_hash(key), list(scopes))
    return _from_row(row), key


async def list_keys(conn: asyncpg.Connection) -> list[ApiKey]:
    """Every key, oldest first, revoked ones included."""
    rows = await conn.fetch("SELECT id, name, scopes, created_at, revoked_at FROM api.api_keys "
                            "ORDER BY created_at, id")
    return [_from_row(r) for r in rows]


async def revoke(conn: asyncpg.Connection, key_id: str) -> ApiKey | None:
    """Revoke a key (idempotent); None when no key has that id."""
    try:
        wanted = uuid.UUID(key_id)
    except ValueError:
        return None
    row = await conn.fetchrow(
        """UPDATE api.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
           RETURNING id, name, scopes, created_at, revoked_at""", wanted)
    return None if row is None else _from_row(row)


async def lookup(conn: asyncpg.Connection, key: str) -> ApiKey | None:
    """The live (not revoked) key with this value, or None."""
    row = await conn.fetchrow(
        """SELECT id, name, scopes, created_at, revoked_at FROM api.api_keys
           WHERE key_sha256 = $1 AND revoked_at IS NULL""", key_hash(key))
    return None if row is None else _from_row(row)

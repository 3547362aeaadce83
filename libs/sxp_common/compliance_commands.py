"""Commands to the compliance service and its answers, one place for the CLI and the API:
build a FORGET or RETENTION command, publish it on sxp.compliance.commands.v1, and read the
answer the service records (compliance.erasures, compliance.retention_runs)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker

from sxp_common.hashing import sha256_hex
from sxp_common.kafka import outgoing, publish_all
from sxp_common.topics import COMPLIANCE_COMMANDS

FORGET = "FORGET"
RETENTION = "RETENTION"


def _command(kind: str, identity_hash: str, requested_by: dict[str, str],
             dry_run: bool) -> dict[str, Any]:
    return {"request_id": str(uuid.uuid4()), "kind": kind, "identity_hash": identity_hash,
            "requested_by": dict(requested_by), "requested_at": datetime.now(UTC),
            "dry_run": dry_run}


def forget_command(identity_key: str, requested_by: dict[str, str]) -> dict[str, Any]:
    """The FORGET command of one identity ("platform:normalized handle", as ingest keys it):
    it carries the identity hash, never the name."""
    return _command(FORGET, sha256_hex(identity_key), requested_by, False)


def retention_command(requested_by: dict[str, str], dry_run: bool) -> dict[str, Any]:
    """The RETENTION command: delete (or, dry, count) what is past its configured age."""
    return _command(RETENTION, "", requested_by, dry_run)


async def send_command(broker: KafkaBroker, command: dict[str, Any],
                       headers: dict[str, str] | None = None) -> None:
    """Publish one command (acks=all), keyed by its request id."""
    await publish_all(broker, [outgoing(COMPLIANCE_COMMANDS, command["request_id"], command,
                                        headers)])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def erasure_answer(conn: asyncpg.Connection, request_id: str) -> dict[str, Any] | None:
    """The service's answer to a FORGET command, or None while it has not answered."""
    row = await conn.fetchrow("""SELECT subject_hash, erased FROM compliance.erasures
                                 WHERE request_id = $1""", request_id)
    if row is None:
        return None
    return {"request_id": request_id, "subject_hash": row["subject_hash"],
            "erased": _json(row["erased"])}


async def retention_answer(conn: asyncpg.Connection, request_id: str) -> dict[str, Any] | None:
    """The service's answer to a RETENTION command, or None while it has not answered."""
    row = await conn.fetchrow("""SELECT dry_run, cutoffs, deleted FROM compliance.retention_runs
                                 WHERE request_id = $1""", request_id)
    if row is None:
        return None
    return {"request_id": request_id, "dry_run": row["dry_run"],
            "cutoffs": _json(row["cutoffs"]), "deleted": _json(row["deleted"])}

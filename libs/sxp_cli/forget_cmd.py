"""`sxp forget --platform P --username U`: erase a person from every tier, through the
compliance service's command topic, and wait for its answer."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from services.ingest.domain import partition_key
from sxp_cli.queries import poll
from sxp_common import audit
from sxp_common.hashing import sha256_hex
from sxp_common.kafka import make_broker, outgoing, publish_all
from sxp_common.settings import Settings
from sxp_common.topics import COMPLIANCE_COMMANDS

ANSWER_TIMEOUT_S = 60.0
console = Console()


def forget_command_record(platform: str, username: str) -> dict[str, Any]:
    """The FORGET command for one identity: it carries the identity hash, never the name."""
    key = partition_key(platform, username)
    if key is None:
        raise ValueError(f"not a profile identity: platform {platform!r}, username {username!r}")
    actor = audit.Actor.cli()
    return {"request_id": str(uuid.uuid4()), "kind": "FORGET", "identity_hash": sha256_hex(key),
            "requested_by": {"kind": actor.kind, "name": actor.name, "instance": actor.instance},
            "requested_at": datetime.now(UTC)}


async def _answer(conn: Any, request_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("""SELECT subject_hash, erased FROM compliance.erasures
                                 WHERE request_id = $1""", request_id)
    if row is None:
        return None
    erased = row["erased"] if isinstance(row["erased"], dict) else json.loads(row["erased"])
    return {"request_id": request_id, "subject_hash": row["subject_hash"], "erased": erased}


async def send_and_wait(settings: Settings, command: dict[str, Any]) -> dict[str, Any] | None:
    broker = make_broker(settings, "cli")
    await broker.connect()
    try:
        await publish_all(broker, [outgoing(COMPLIANCE_COMMANDS, command["request_id"],
                                            command)])
    finally:
        await broker.stop()
    return await poll(settings, lambda conn: _answer(conn, command["request_id"]),
                      ANSWER_TIMEOUT_S)


def forget(
    platform: Annotated[str, typer.Option("--platform", help="tiktok, threads or x.")],
    username: Annotated[str, typer.Option("--username", help="The handle, with or without @.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Erase a person from every tier, notify execution platforms on sxp.erasures.v1, and
    refuse the identity from now on (kept only as a keyed hash)."""
    command = forget_command_record(platform, username)
    answer = asyncio.run(send_and_wait(Settings(), command))
    if answer is None:
        raise ValueError(f"request {command['request_id']} queued, but the compliance service "
                         f"did not answer in {ANSWER_TIMEOUT_S:.0f}s; is `sxp services up` "
                         f"running?")
    if as_json:
        print(json.dumps(answer))
        return
    rows = ", ".join(f"{n} {t}" for t, n in answer["erased"].items() if n) or "no stored rows"
    console.print(f"forgotten: {rows}; the identity is suppressed (subject "
                  f"{answer['subject_hash'][:12]}…)")

"""Send an audience command and wait for the audience service's answer: the one path the CLI
(`sxp audience`) and the API (`/v1/audiences`) share.

A command travels on `sxp.audience.commands.v1` keyed by the audience name, so the commands
of one audience are handled in order; the service records its answer in
`audience.command_answers` under the command's request id, in the transaction that applied
it, and the caller polls for that row with a deadline. The caller brings its own broker and
database handle (the CLI a read-only `sxp_reader` connection, the API its pool): anything
with asyncpg's `fetchrow`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from faststream.kafka import KafkaBroker

from sxp_common.kafka import Outgoing, outgoing, publish_all
from sxp_common.topics import AUDIENCE_COMMANDS

ACTIONS = ("CREATE", "UPDATE", "DELETE", "QUALIFY")
# What the service answers (audience.command_answers.outcome).
CREATED, UPDATED, UNCHANGED, DELETED, QUALIFIED, REFUSED = (
    "created", "updated", "unchanged", "deleted", "qualified", "refused")
# How a refusal of a change named with a version the audience has moved past begins (the
# API answers it 412, as a stale If-Match).
STALE_VERSION = "the audience changed since version"
DEFAULT_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.2


class Fetches(Protocol):
    """A database handle that can fetch one row (an asyncpg connection or pool)."""

    async def fetchrow(self, query: str, *args: Any) -> Any:
        """One row of `query`, or None."""


@dataclass(frozen=True)
class Answer:
    """The service's answer to one command: outcome and details (for `refused`, the one-line
    reason in detail["error"])."""

    request_id: str
    action: str
    outcome: str
    audience_id: str | None
    detail: dict[str, Any]

    @property
    def refused(self) -> bool:
        """The service refused the command (bad criteria, unknown audience, ...)."""
        return self.outcome == REFUSED

    @property
    def error(self) -> str:
        """The refusal's one line ('' when not refused)."""
        return str(self.detail.get("error", "")) if self.refused else ""

    @property
    def stale(self) -> bool:
        """Refused because the audience moved past the version the change was decided on."""
        return self.error.startswith(STALE_VERSION)

    def as_dict(self) -> dict[str, Any]:
        """The answer as plain JSON-able values."""
        return {"request_id": self.request_id, "action": self.action, "outcome": self.outcome,
                "audience_id": self.audience_id, "detail": self.detail}


def command_record(action: str, name: str, *, requested_by: str,
                   description: str | None = None, criteria_json: str | None = None,
                   scorer: str | None = None, top: int | None = None,
                   request_id: str | None = None,
                   requested_at: datetime | None = None,
                   if_version: int | None = None) -> dict[str, Any]:
    """One sxp.audience.commands.v1 record (pure but for a fresh request id and the time).

    The criteria travel as typed: the service parses them, so the refusal a person sees is
    the same from the CLI and the API."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audience action {action!r}: one of {', '.join(ACTIONS)}")
    return {"request_id": request_id or str(uuid.uuid4()), "action": action, "name": name,
            "description": description, "criteria_json": criteria_json, "scorer": scorer,
            "top": top, "requested_by": requested_by,
            "requested_at": requested_at or datetime.now(UTC), "if_version": if_version}


def command_message(record: dict[str, Any], headers: dict[str, str] | None = None) -> Outgoing:
    """The record encoded for the command topic, keyed by the audience name (`headers`: a
    trace context to carry)."""
    return outgoing(AUDIENCE_COMMANDS, record["name"], record, headers)


def _detail(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value if isinstance(value, dict) else dict(json.loads(value))


async def fetch_answer(db: Fetches, request_id: str) -> Answer | None:
    """The recorded answer to `request_id`, or None while there is none."""
    row = await db.fetchrow(
        """SELECT request_id, action, outcome, audience_id::text AS audience_id, detail
           FROM audience.command_answers WHERE request_id = $1""", request_id)
    if row is None:
        return None
    return Answer(row["request_id"], row["action"], row["outcome"], row["audience_id"],
                  _detail(row["detail"]))


async def wait_for_answer(db: Fetches, request_id: str,
                          timeout_s: float = DEFAULT_TIMEOUT_S) -> Answer | None:
    """Poll for the answer until it is there or the deadline passes (then None)."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await fetch_answer(db, request_id)
        if answer is not None or time.monotonic() >= deadline:
            return answer
        await asyncio.sleep(POLL_INTERVAL_S)


async def send_command(broker: KafkaBroker, record: dict[str, Any],
                       headers: dict[str, str] | None = None) -> None:
    """Publish the command and wait for the broker's ack."""
    await publish_all(broker, [command_message(record, headers)])


async def send_and_wait(broker: KafkaBroker, db: Fetches, record: dict[str, Any],
                        timeout_s: float = DEFAULT_TIMEOUT_S) -> Answer | None:
    """Publish the command, then wait for the service's answer (None: no answer in time)."""
    await send_command(broker, record)
    return await wait_for_answer(db, record["request_id"], timeout_s)

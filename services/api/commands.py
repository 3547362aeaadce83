"""Commands to the services, as the CLI sends them: publish on a command topic, then wait a
little for the answer the service records (the caller polls by id past that)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg

from services.api.deps import ApiContext, Caller
from sxp_common import tracing
from sxp_common.kafka import outgoing, publish_all

T = TypeVar("T")
POLL_INTERVAL_S = 0.2


def requester(ctx: ApiContext, caller: Caller) -> dict[str, str]:
    """Who asks, as the command contracts name a requester: the key's id, never the key."""
    return {"kind": "api_key", "name": caller.key_id, "instance": ctx.settings.instance_id}


def command_header(ctx: ApiContext, caller: Caller, id_field: str) -> dict[str, Any]:
    """A fresh command id and who asked when."""
    return {id_field: str(uuid.uuid4()), "requested_by": requester(ctx, caller),
            "requested_at": datetime.now(UTC)}


async def send(ctx: ApiContext, topic: str, key: str, command: dict[str, Any]) -> None:
    """Publish one command (acks=all) carrying a new trace."""
    trace = tracing.start_trace(f"api {topic}")
    await publish_all(ctx.broker, [outgoing(topic, key, command, trace)])


async def wait_for(ctx: ApiContext, fetch: Callable[[asyncpg.Connection], Awaitable[T | None]],
                   timeout_s: float) -> T | None:
    """Poll fetch until it finds something or the deadline passes (then None)."""
    deadline = time.monotonic() + timeout_s
    async with ctx.db().acquire() as conn:
        while True:
            found = await fetch(conn)
            if found is not None or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(POLL_INTERVAL_S)

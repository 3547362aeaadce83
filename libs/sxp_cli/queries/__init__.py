"""The CLI's reads, one module per area, logged in as the read-only role `sxp_reader`.

The CLI writes nothing to the database: it asks services through their command topics and
reads their answers here. `reading()` opens one read-only connection; `poll()` waits with a
deadline for an answer a service records. Only admin work (stack bootstrap, migrations,
`sxp replay audit`'s restore) connects as the owner.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

from sxp_common.db import reader_url
from sxp_common.settings import Settings

T = TypeVar("T")
POLL_INTERVAL_S = 0.2


@asynccontextmanager
async def reading(settings: Settings, timeout_s: float = 10.0) -> AsyncIterator[asyncpg.Connection]:
    """One connection as the read-only role; closed on exit."""
    conn = await asyncpg.connect(reader_url(settings), timeout=timeout_s)
    try:
        yield conn
    finally:
        await conn.close()


async def poll(settings: Settings, fetch: Callable[[asyncpg.Connection], Awaitable[T | None]],
               timeout_s: float) -> T | None:
    """Call fetch on one read-only connection until it returns something or the deadline
    passes (then None)."""
    async with reading(settings) as conn:
        deadline = time.monotonic() + timeout_s
        while True:
            found = await fetch(conn)
            if found is not None or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(POLL_INTERVAL_S)

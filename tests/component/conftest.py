"""Component tests: a database of their own on the slot's test Postgres, migrated to head.

The e2e tests' services never read it, and what a component test leaves there (profiles
whose cards are never built, staged rows) cannot disturb an e2e test's waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from sxp_common.db import asyncpg_dsn
from sxp_common.migrations import upgrade_database

COMPONENT_DB = "sxp_component"


async def _recreate(owner_url: str, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def component_settings(test_stack: Any) -> Iterator[Any]:
    """The test stack's settings, pointed at a fresh database migrated to head."""
    parts = urlsplit(test_stack.database_url)
    url = urlunsplit(parts._replace(path=f"/{COMPONENT_DB}"))
    asyncio.run(_recreate(test_stack.database_url, COMPONENT_DB))
    upgrade_database(url, test_stack.db_service_password)
    yield test_stack.model_copy(update={"database_url": url})

"""Database migrations (Alembic) and the per-service roles they grant to."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config

from sxp_common.db import READER_ROLE, SERVICE_ROLES, asyncpg_dsn, sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(admin_url: str) -> Config:
    """An Alembic config pointing at this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(admin_url).replace("%", "%%"))
    return config


async def ensure_roles(admin_url: str, password: str) -> None:
    """Create each service's login role and the CLI's reader role if missing, and (re)set
    their password."""
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        for role in (*SERVICE_ROLES.values(), READER_ROLE):
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            # Role names are constants of ours; the password is quoted by the server.
            quoted = await conn.fetchval("SELECT quote_literal($1)", password)
            await conn.execute(f"{verb} ROLE {role} LOGIN PASSWORD {quoted}")
    finally:
        await conn.close()


def upgrade_database(admin_url: str, service_password: str) -> str:
    """Create the roles, migrate to head, and return the schema version now recorded."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _upgrade(admin_url, service_password)
    # Alembic's env runs its own event loop, so leave the caller's loop alone.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_upgrade, admin_url, service_password).result()


def _upgrade(admin_url: str, service_password: str) -> str:
    asyncio.run(ensure_roles(admin_url, service_password))
    command.upgrade(alembic_config(admin_url), "head")
    return asyncio.run(_current_version(admin_url))


async def _current_version(admin_url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        return str(await conn.fetchval("SELECT version_num FROM alembic_version"))
    finally:
        await conn.close()

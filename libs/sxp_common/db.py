"""The one place that opens database connections: a pool per service role."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from sxp_common.settings import Settings

# Each service logs in as its own role; migrations grant each only what it needs.
SERVICE_ROLES: dict[str, str] = {
    "ingest": "sxp_ingest",
    "card_factory": "sxp_card_factory",
    "labeler": "sxp_labeler",
    "enrichment_gate": "sxp_enrichment_gate",
    "adapter": "sxp_adapter",
    "exporter": "sxp_exporter",
    "audit_projector": "sxp_audit_projector",
    "compliance": "sxp_compliance",
    "api": "sxp_api",
    "audience": "sxp_audience",
}
# The CLI's read-outs log in as this role: SELECT only (no Tier 2 contact value), read-only
# sessions (migration 0006). Only admin work (stack bootstrap, migrations, replay's restore)
# uses the owner in SXP_DATABASE_URL.
READER_ROLE = "sxp_reader"


def asyncpg_dsn(url: str) -> str:
    """A libpq-style DSN asyncpg accepts (drops a SQLAlchemy driver suffix)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlalchemy_url(url: str) -> str:
    """The same server as a SQLAlchemy asyncpg URL (for Alembic)."""
    return "postgresql+asyncpg://" + asyncpg_dsn(url).split("://", 1)[1]


def role_url(admin_url: str, role: str, password: str) -> str:
    """The admin URL with the user and password swapped for a service role's."""
    parts = urlsplit(asyncpg_dsn(admin_url))
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(role)}:{quote(password)}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def service_url(settings: Settings, service: str) -> str:
    """Where `service` connects, as its own role."""
    return role_url(settings.database_url, SERVICE_ROLES[service], settings.db_service_password)


def reader_url(settings: Settings) -> str:
    """Where the CLI's read-outs connect: the read-only role."""
    return role_url(settings.database_url, READER_ROLE, settings.db_service_password)


def redact_url(url: str) -> str:
    """A URL safe to print: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def create_service_pool(settings: Settings, service: str, size: int = 4) -> asyncpg.Pool:
    """A connection pool logged in as `service`'s role."""
    pool = await asyncpg.create_pool(
        service_url(settings, service), min_size=1, max_size=size, command_timeout=60
    )
    assert pool is not None
    return pool


async def create_admin_pool(settings: Settings, size: int = 2) -> asyncpg.Pool:
    """A pool as the owner in SXP_DATABASE_URL (CLI read-outs and tests only)."""
    pool = await asyncpg.create_pool(
        asyncpg_dsn(settings.database_url), min_size=1, max_size=size, command_timeout=60
    )
    assert pool is not None
    return pool

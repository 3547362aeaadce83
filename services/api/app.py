"""Wires the API: FastAPI with FastStream's Kafka router (the project's broker options), the
sxp_api pool, the rate limiter, the routers, and one subscriber that tallies rejections."""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from services.api.deps import ApiContext
from services.api.domain import RateLimiter
from services.api.routers import (
    audience_changes,
    audiences,
    batches,
    enrichment,
    health,
    lead_cards,
    pools,
    profiles,
    subjects,
)
from sxp_common import avro, tracing
from sxp_common.db import create_service_pool
from sxp_common.kafka import broker_options
from sxp_common.settings import Settings, get_settings
from sxp_common.telemetry import configure_logging
from sxp_common.topics import PROFILES_REJECTED

with warnings.catch_warnings():  # the integration's new home is a separate package, later
    warnings.simplefilter("ignore", DeprecationWarning)
    from faststream.kafka.fastapi import KafkaMessage, KafkaRouter

VERSION = "1.0.0"
DESCRIPTION = """The Social XPress Engine's HTTP API: publish profiles, follow their jobs,
browse lead cards and audience pools, ask for enrichment, page through Lead Card Batches.
Every /v1 endpoint needs `Authorization: Bearer KEY` with a key from `sxp api-keys create`."""


def tally_rejections(ctx: ApiContext, values: list[bytes | None]) -> None:
    """Count each rejected submission once per job and reason."""
    for value in values:
        try:
            record = avro.decode(PROFILES_REJECTED, value)
        except avro.UndecodableMessage:
            continue  # an operator's topic: a record we cannot read is not ours to count
        by_reason = ctx.rejections.setdefault(record["job_id"], {})
        by_reason.setdefault(record["reason_code"], set()).add(record["submission_id"])


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the OpenAPI document serves at `path` (Starlette's 405 names only the
    first route that matched the path, and FastAPI makes one route per method)."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        if compile_path(template)[0].match(path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """A 405 whose Allow header lists every method of the path (RFC 9110)."""
    assert isinstance(exc, StarletteHTTPException)
    allow = allowed_methods(request.app, request.url.path) if exc.status_code == 405 else []
    if allow:
        exc = StarletteHTTPException(405, exc.detail, headers={**(exc.headers or {}),
                                                               "Allow": ", ".join(allow)})
    return await http_exception_handler(request, exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API app; its lifespan opens the pool and starts the broker."""
    settings = settings or get_settings()
    logger = configure_logging("api", settings.log_level)
    tracing.configure("api", settings.instance_id)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        ctx.pool = await create_service_pool(settings, "api", size=8)
        logger.info("started", extra={"port": settings.api_port})
        try:
            yield {}
        finally:
            await ctx.pool.close()
            tracing.flush()
            logger.info("stopped")

    router = KafkaRouter(**broker_options(settings, "api"), schema_url=None,
                         include_in_schema=False, lifespan=lifespan, logger=None)
    ctx = ApiContext(settings, router.broker,
                     RateLimiter(settings.api_rate_per_s, settings.api_rate_burst, time.monotonic),
                     logger)

    # No group: every instance reads the whole topic from the start, so each one can answer
    # for any job; nothing is committed.
    @router.subscriber(PROFILES_REJECTED, batch=True, auto_offset_reset="earliest",
                       max_records=settings.consumer_max_records, include_in_schema=False)
    async def on_profiles_rejected(message: KafkaMessage) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple | list) else (raw,)
        tally_rejections(ctx, [r.value for r in records])

    # Including the router merges its lifespan: the pool opens, then the broker starts.
    app = FastAPI(title="sxp-api", version=VERSION, description=DESCRIPTION)
    app.state.ctx = ctx
    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
    for module in (health, profiles, lead_cards, pools, enrichment, batches, subjects,
                   audiences, audience_changes):
        app.include_router(module.router)
    app.include_router(router)
    return app


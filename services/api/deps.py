"""What every endpoint depends on: the API's resources, and the caller's key and scope."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from faststream.kafka import KafkaBroker

from services.api.domain import RateLimiter
from sxp_common import api_keys
from sxp_common.settings import Settings

bearer = HTTPBearer(auto_error=False, description="An API key made by `sxp api-keys create`.")


@dataclass
class ApiContext:
    """The API's resources, opened in its lifespan."""

    settings: Settings
    broker: KafkaBroker
    limiter: RateLimiter
    logger: logging.Logger
    pool: asyncpg.Pool | None = None
    # Rejections ingest announced, per job and reason, as submission ids (deduplicated).
    rejections: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def db(self) -> asyncpg.Pool:
        """The sxp_api pool (opened in lifespan)."""
        if self.pool is None:
            raise HTTPException(503, "database not connected yet")
        return self.pool


@dataclass(frozen=True)
class Caller:
    """Who is calling: their stored key (never the key itself)."""

    key: api_keys.ApiKey

    @property
    def key_id(self) -> str:
        """The key's id, what audit events name."""
        return self.key.key_id


def context(request: Request) -> ApiContext:
    """The API's context, from the app state."""
    found: ApiContext = request.app.state.ctx
    return found


def require(scope: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency: 401 without a live key, 403 outside `scope`, 429 over the rate limit."""

    async def caller(request: Request,
                     credentials: HTTPAuthorizationCredentials | None = Security(bearer)
                     ) -> Caller:
        ctx = context(request)
        if credentials is None or not credentials.credentials:
            raise HTTPException(401, "an API key is required (Authorization: Bearer KEY)",
                                headers={"WWW-Authenticate": "Bearer"})
        async with ctx.db().acquire() as conn:
            key = await api_keys.lookup(conn, credentials.credentials)
        if key is None:
            raise HTTPException(401, "unknown or revoked API key",
                                headers={"WWW-Authenticate": "Bearer"})
        wait = ctx.limiter.retry_after(key.key_id)
        if wait:
            raise HTTPException(429, f"rate limit of this key reached; retry in {wait}s",
                                headers={"Retry-After": str(wait)})
        if not key.allows(scope):
            raise HTTPException(403, f"this key lacks the {scope!r} scope")
        return Caller(key)

    return caller


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error codes an endpoint can answer."""
    from services.api.models import Problem

    return {code: {"model": Problem, "description": DESCRIBED[code]} for code in codes}


def json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The same, declared as JSON for an endpoint whose own answer is not (the errors still
    are: FastAPI answers an HTTPException as JSON whatever the route's response class)."""
    problem = {"$ref": "#/components/schemas/Problem"}
    return {code: {"description": DESCRIBED[code],
                   "content": {"application/json": {"schema": problem}}} for code in codes}


DESCRIBED = {400: "malformed request", 401: "no, unknown or revoked key",
             403: "the key lacks the scope", 404: "not found", 409: "it exists already",
             412: "the If-Match ETag is not the current one", 413: "request too large",
             415: "unsupported content type", 428: "If-Match is required",
             429: "rate limit reached (see Retry-After)", 503: "a dependency is down"}


AUTH_ERRORS = (401, 403, 429)

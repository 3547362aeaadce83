"""`GET /v1/audience-pools`: how big each market is."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends

from services.api import adapters, domain
from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import AudiencePools
from sxp_common import api_keys

router = APIRouter(prefix="/v1", tags=["audience pools"])


@router.get("/audience-pools", response_model=AudiencePools, responses=errors(*AUTH_ERRORS))
async def audience_pools(platform: Literal["tiktok", "threads", "x"] | None = None,
                         caller: Caller = Depends(require(api_keys.READ)),
                         ctx: ApiContext = Depends(context)) -> AudiencePools:
    """Cards per audience pool, and per platform, tribe and follower tier."""
    async with ctx.db().acquire() as conn:
        rows = await adapters.pools(conn, platform)
    return AudiencePools(**domain.pool_counts(rows))

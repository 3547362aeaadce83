"""`/livez` (the process answers) and `/readyz` (Kafka and Postgres reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.api.deps import ApiContext, context
from services.api.models import Health
from sxp_common import health

router = APIRouter(tags=["health"])


@router.get("/livez", response_model=Health)
async def livez() -> Health:
    """The process is up and serving."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(ctx: ApiContext = Depends(context)) -> JSONResponse:
    """Ready when the broker answers a ping and the database a query."""
    checks = {"kafka": await health.broker_reachable(ctx.broker),
              "database": await health.database_reachable(ctx.pool)}
    ok = all(checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

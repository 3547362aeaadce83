"""`POST /v1/enrichment-requests` and `GET /v1/enrichment-requests/{id}`, through the gate's
command topic as `sxp enrich request` does (REQUEST, or DRY_RUN with `dry_run`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from services.api import adapters
from services.api.commands import command_header, send, wait_for
from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import EnrichmentRequest, EnrichmentRequestIn
from sxp_common import api_keys
from sxp_common.audience_lookup import UnknownAudience, audience_by_name
from sxp_common.topics import ENRICHMENT_COMMANDS

router = APIRouter(prefix="/v1/enrichment-requests", tags=["enrichment"])


def answer_model(request_id: str, dry_run: bool, found: dict[str, Any] | None) -> EnrichmentRequest:
    """The gate's answer, or a pending one."""
    if found is None:
        return EnrichmentRequest(request_id=request_id, dry_run=dry_run, state="pending")
    return EnrichmentRequest(request_id=request_id, state="answered", **found)


@router.post("", response_model=EnrichmentRequest, responses={
    202: {"model": EnrichmentRequest, "description": "queued; the gate has not answered yet"},
    **errors(400, 404, *AUTH_ERRORS)})
async def request_enrichment(body: EnrichmentRequestIn,
                             caller: Caller = Depends(require(api_keys.ENRICH)),
                             ctx: ApiContext = Depends(context)) -> JSONResponse:
    """Ask the gate to enrich approved cards (or, with `dry_run`, what it would decide)."""
    labels = sorted(set(body.labels), key=body.labels.index)
    audience_id = None
    if body.audience is not None:
        async with ctx.db().acquire() as conn:
            try:
                audience_id = (await audience_by_name(conn, body.audience)).audience_id
            except UnknownAudience as exc:
                raise HTTPException(404, str(exc)) from None
    command = {**command_header(ctx, caller, "request_id"),
               "kind": "DRY_RUN" if body.dry_run else "REQUEST", "labels": labels,
               "min_confidence": body.min_confidence, "limit": body.limit,
               "budget_usd": body.budget_usd, "retry_failed": body.retry_failed,
               "audience_id": audience_id, "top": body.top}
    request_id = command["request_id"]
    await send(ctx, ENRICHMENT_COMMANDS, request_id, command)
    found = await wait_for(ctx, lambda conn: adapters.enrichment_answer(conn, request_id),
                           ctx.settings.api_answer_timeout_s)
    answer = answer_model(request_id, body.dry_run, found)
    return JSONResponse(answer.model_dump(mode="json"), status_code=200 if found else 202)


@router.get("/{request_id}", response_model=EnrichmentRequest,
            responses=errors(404, *AUTH_ERRORS))
async def get_enrichment_request(request_id: Annotated[uuid.UUID, Path()],
                                 caller: Caller = Depends(require(api_keys.ENRICH)),
                                 ctx: ApiContext = Depends(context)) -> EnrichmentRequest:
    """The gate's answer to a request (404 until it has answered)."""
    async with ctx.db().acquire() as conn:
        found = await adapters.enrichment_answer(conn, str(request_id))
    if found is None:
        raise HTTPException(404, f"no answer to enrichment request {request_id} (yet)")
    return answer_model(str(request_id), found["dry_run"], found)

"""`GET /v1/lead-batches`, `GET /v1/lead-batches/{id}` and `POST .../{id}/resend` (through the
exporter's command topic, as `sxp export --resend` does)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from services.api import adapters, domain
from services.api.commands import command_header, send, wait_for
from services.api.contacts import audit_viewed
from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import LeadBatch, LeadBatchDetail, LeadBatchPage, Resend
from sxp_common import api_keys
from sxp_common.topics import EXPORT_COMMANDS

router = APIRouter(prefix="/v1/lead-batches", tags=["lead batches"])
BatchId = Annotated[uuid.UUID, Path()]


def batch_model(row: dict[str, Any], cls: type[LeadBatch] = LeadBatch, **extra: Any) -> LeadBatch:
    """A recorded batch as the API shows it."""
    fields = {k: row[k] for k in LeadBatch.model_fields if k != "batch_id"}
    return cls(batch_id=str(row["batch_id"]), **fields, **extra)


@router.get("", response_model=LeadBatchPage, responses=errors(400, *AUTH_ERRORS))
async def list_lead_batches(
    transport: Literal["file", "api", "queue"] | None = None,
    status: Literal["pending", "delivered", "failed", "refused"] | None = None,
    since: datetime | None = None, until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=domain.MAX_PAGE)] = domain.DEFAULT_PAGE,
    caller: Caller = Depends(require(api_keys.EXPORT)),
    ctx: ApiContext = Depends(context),
) -> LeadBatchPage:
    """Recorded Lead Card Batches by transport, status and time, a page at a time."""
    filters = {"transport": transport, "status": status, "since": since, "until": until}
    digest = domain.filters_digest(filters)
    try:
        after = domain.decode_cursor(cursor, digest) if cursor else None
    except domain.BadRequest as exc:
        raise HTTPException(400, str(exc)) from None
    async with ctx.db().acquire() as conn:
        rows = await adapters.batch_page(conn, filters, after, limit)
    page = [batch_model(r) for r in rows[:limit]]
    more = len(rows) > limit
    return LeadBatchPage(data=page, limit=limit, next_cursor=domain.encode_cursor(
        page[-1].batch_id, digest) if more else None)


@router.get("/{batch_id}", response_model=LeadBatchDetail, responses=errors(404, *AUTH_ERRORS))
async def get_lead_batch(batch_id: BatchId, caller: Caller = Depends(require(api_keys.EXPORT)),
                         ctx: ApiContext = Depends(context)) -> LeadBatch:
    """A batch with the exact document sent and its checksum (the document may carry Tier 2
    fields of enriched cards, so each view is audited as contacts_viewed)."""
    async with ctx.db().acquire() as conn:
        row = await adapters.batch(conn, str(batch_id))
    if row is None:
        raise HTTPException(404, f"no lead batch {batch_id}")
    document = json.loads(row["document"]) if row["document"] else None
    found = batch_model(row, LeadBatchDetail, document=document,
                        lead_card_ids=row["lead_card_ids"])
    await audit_viewed(ctx, caller, row["lead_card_ids"], "GET /v1/lead-batches/{id}",
                       batch_id=str(batch_id))
    return found


@router.post("/{batch_id}/resend", response_model=Resend, responses={
    202: {"model": Resend, "description": "queued; the exporter has not answered yet"},
    **errors(404, *AUTH_ERRORS)})
async def resend_lead_batch(batch_id: BatchId, caller: Caller = Depends(require(api_keys.EXPORT)),
                            ctx: ApiContext = Depends(context)) -> JSONResponse:
    """Deliver a recorded batch again, with the same id and checksum."""
    async with ctx.db().acquire() as conn:
        if await adapters.batch(conn, str(batch_id)) is None:
            raise HTTPException(404, f"no lead batch {batch_id}")
    command = {**command_header(ctx, caller, "command_id"), "transport": "",
               "resend_batch_id": str(batch_id)}
    command_id = command["command_id"]
    await send(ctx, EXPORT_COMMANDS, command_id, command)
    found = await wait_for(ctx, lambda conn: adapters.export_answer(conn, command_id),
                           ctx.settings.api_answer_timeout_s)
    if found is None:
        body = Resend(command_id=command_id, state="pending")
    else:
        body = Resend(command_id=command_id, state=found["status"], error=found["error"],
                      outcomes=found["outcomes"])
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if found else 202)

"""`DELETE /v1/subjects/{platform}/{username}` and `GET /v1/erasures/{id}`: erase a
person from every tier through the compliance service's command topic, as `sxp forget` does.

The DELETE must repeat its subject in `confirm` (`platform/username`). That query parameter
has no pattern on purpose: a client generating requests from the OpenAPI document (a fuzzer,
a generated SDK called with placeholders) cannot produce a matching pair, so it never erases
or suppresses anyone by chance; a person means it by writing the name twice."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from services.api.commands import requester, wait_for
from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import Erasure
from sxp_common import api_keys, compliance_commands, tracing
from sxp_common.topics import COMPLIANCE_COMMANDS

# No prefix: the answer lives at /v1/erasures/{id}, since /v1/subjects/erasures/{id} would be
# read as a subject (platform "erasures") by the DELETE route.
router = APIRouter(tags=["compliance"])
# A handle as ingest stores it, with or without "@" (profile URLs are not taken here).
HANDLE = r"^@?[A-Za-z0-9_.]{1,30}$"


def spelled(platform: str, username: str) -> str:
    """`platform/handle` as ingest normalizes a plain handle: no "@", lower case."""
    return f"{platform.strip().lower()}/{username.strip().removeprefix('@').lower()}"


def answer_model(request_id: str, found: dict[str, Any] | None) -> Erasure:
    """The service's answer, or a pending one."""
    if found is None:
        return Erasure(request_id=request_id, state="pending")
    return Erasure(request_id=request_id, state="answered", subject_hash=found["subject_hash"],
                   erased=found["erased"])


@router.delete("/v1/subjects/{platform}/{username}", response_model=Erasure, responses={
    202: {"model": Erasure, "description": "queued; the compliance service has not answered"},
    **errors(400, *AUTH_ERRORS)})
async def forget_subject(
    platform: Annotated[Literal["tiktok", "threads", "x"], Path()],
    username: Annotated[str, Path(pattern=HANDLE)],
    confirm: Annotated[str, Query(min_length=1, max_length=64, description=(
        "The subject again, as `platform/username`: nothing is erased unless it matches."))],
    caller: Caller = Depends(require(api_keys.ADMIN)),
    ctx: ApiContext = Depends(context),
) -> JSONResponse:
    """Erase a person from every tier, notify execution platforms on sxp.erasures.v1, and
    refuse the identity from now on (the command carries its hash, never the name)."""
    subject = spelled(platform, username)
    if spelled(*confirm.partition("/")[::2]) != subject:
        raise HTTPException(400, "confirm must repeat the subject as platform/username")
    command = compliance_commands.forget_command(subject.replace("/", ":", 1),
                                                 requester(ctx, caller))
    request_id = command["request_id"]
    await compliance_commands.send_command(
        ctx.broker, command, tracing.start_trace(f"api {COMPLIANCE_COMMANDS}"))
    found = await wait_for(ctx, lambda conn: compliance_commands.erasure_answer(conn, request_id),
                           ctx.settings.api_answer_timeout_s)
    answer = answer_model(request_id, found)
    return JSONResponse(answer.model_dump(mode="json"), status_code=200 if found else 202)


@router.get("/v1/erasures/{request_id}", response_model=Erasure,
            responses=errors(404, *AUTH_ERRORS))
async def get_erasure(request_id: Annotated[uuid.UUID, Path()],
                      caller: Caller = Depends(require(api_keys.ADMIN)),
                      ctx: ApiContext = Depends(context)) -> Erasure:
    """The compliance service's answer to an erasure (404 until it has answered)."""
    async with ctx.db().acquire() as conn:
        found = await compliance_commands.erasure_answer(conn, str(request_id))
    if found is None:
        raise HTTPException(404, f"no answer to erasure {request_id} (yet)")
    return answer_model(str(request_id), found)

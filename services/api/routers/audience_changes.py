"""Changing audiences (scope `audience`): `POST /v1/audiences`, `PATCH` and `DELETE
/v1/audiences/{name}`, `POST /v1/audiences/{name}/qualify`, and `GET
/v1/audience-requests/{id}` for an answer that came after the wait.

Each change is a command to the audience service on `sxp.audience.commands.v1`, sent and
answered through `sxp_common.audience_commands` as `sxp audience` sends it: the service
applies and audits it, and the API waits up to `SXP_API_ANSWER_TIMEOUT_S` for the recorded
answer (202 with the request id past that). What the API can tell before sending (criteria
that break the grammar, an unknown audience, a name already live, a stale ETag) it answers
without sending anything. PATCH and DELETE need the audience's ETag as If-Match
(`services.api.audience_rules` says why)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path
from fastapi.responses import JSONResponse

from services.api import audience_rules
from services.api.audience_models import (
    AudienceAnswer,
    AudienceChangeIn,
    AudienceIn,
    QualifyIn,
    Unprocessable,
)
from services.api.commands import wait_for
from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import AUDIENCE_NAME
from sxp_common import api_keys, audience_commands, tracing
from sxp_common.audience_commands import Answer
from sxp_common.audience_criteria import CriteriaError, parse_criteria
from sxp_common.audience_lookup import AudienceRef, UnknownAudience, audience_by_name
from sxp_common.topics import AUDIENCE_COMMANDS

router = APIRouter(tags=["audiences"])
Name = Annotated[str, Path(pattern=AUDIENCE_NAME)]
IfMatch = Annotated[str | None, Header(max_length=400, description=(
    "The audience's ETag (GET /v1/audiences/{name}, or the answer to its last change)."))]
PENDING: dict[str, Any] = {
    "model": AudienceAnswer,
    "description": "queued; the audience service has not answered yet (GET "
                   "/v1/audience-requests/{id})"}
UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"model": Unprocessable, "description": "criteria or fields refused"}}


def requested_by(caller: Caller) -> str:
    """Who asks, as the audience command names it: the key's id, never the key."""
    return f"api_key:{caller.key_id}"


def answer_model(request_id: str, action: str, answer: Answer | None) -> AudienceAnswer:
    """The service's answer (or a pending one) as the API shows it."""
    if answer is None:
        return AudienceAnswer.model_validate({"request_id": request_id, "state": "pending",
                                              "action": action})
    d = answer.detail
    fields = {k: d.get(k) for k in ("name", "version", "criteria_hash", "members", "joined",
                                    "left", "scored", "cached", "fallbacks", "scorer")}
    tag = (audience_rules.etag(d["version"], d["criteria_hash"])
           if answer.outcome not in (audience_commands.DELETED, audience_commands.REFUSED)
           and d.get("version") and d.get("criteria_hash") else None)
    return AudienceAnswer.model_validate({
        "request_id": request_id, "state": "answered", "action": answer.action,
        "outcome": answer.outcome, "audience_id": answer.audience_id,
        "error": answer.error or None, "etag": tag, **fields})


def checked_criteria(criteria: dict[str, Any] | None) -> str | None:
    """The criteria as the command carries them (JSON text), or 422 with the grammar's line."""
    if criteria is None:
        return None
    try:
        parse_criteria(criteria)
    except CriteriaError as exc:
        raise HTTPException(422, str(exc)) from None
    return json.dumps(criteria, ensure_ascii=False)


async def live(ctx: ApiContext, name: str) -> AudienceRef | None:
    """The live audience called `name`, or None."""
    async with ctx.db().acquire() as conn:
        try:
            return await audience_by_name(conn, name)
        except UnknownAudience:
            return None


async def existing(ctx: ApiContext, name: str) -> AudienceRef:
    """The live audience called `name`, or 404."""
    found = await live(ctx, name)
    if found is None:
        raise HTTPException(404, f"no audience named {name!r}")
    return found


def check_tag(if_match: str | None, found: AudienceRef) -> None:
    """428 or 412 unless If-Match names the audience's current ETag."""
    try:
        audience_rules.check_if_match(if_match, audience_rules.etag(found.version,
                                                                    found.criteria_hash))
    except audience_rules.PreconditionRequired as exc:
        raise HTTPException(428, str(exc)) from None
    except audience_rules.PreconditionFailed as exc:
        raise HTTPException(412, str(exc)) from None


async def command(ctx: ApiContext, caller: Caller, action: str, name: str,
                  **fields: Any) -> JSONResponse:
    """Send one audience command, wait boundedly for the answer, and answer it over HTTP."""
    record = audience_commands.command_record(action, name, requested_by=requested_by(caller),
                                              **fields)
    request_id = record["request_id"]
    await audience_commands.send_command(ctx.broker, record,
                                         tracing.start_trace(f"api {AUDIENCE_COMMANDS}"))
    answer = await wait_for(ctx, lambda conn: audience_commands.fetch_answer(conn, request_id),
                            ctx.settings.api_answer_timeout_s)
    if answer is None:
        return JSONResponse(answer_model(request_id, action, None).model_dump(mode="json"),
                            status_code=202)
    status = audience_rules.answer_status(action, answer.outcome,
                                          await live(ctx, name) is not None)
    if answer.stale:
        raise HTTPException(412, answer.error)
    if answer.refused:
        raise HTTPException(status, answer.error)
    model = answer_model(request_id, action, answer)
    headers = {"ETag": model.etag} if model.etag else {}
    if status == 201:
        headers["Location"] = f"/v1/audiences/{name}"
    return JSONResponse(model.model_dump(mode="json"), status_code=status, headers=headers)


@router.post("/v1/audiences", status_code=201, response_model=AudienceAnswer, responses={
    202: PENDING, **UNPROCESSABLE, **errors(400, 409, *AUTH_ERRORS)})
async def create_audience(body: AudienceIn,
                          caller: Caller = Depends(require(api_keys.AUDIENCE)),
                          ctx: ApiContext = Depends(context)) -> JSONResponse:
    """Define an audience; its members are every card the criteria admit (as `sxp audience
    create`)."""
    criteria_json = checked_criteria(body.criteria)
    if await live(ctx, body.name) is not None:
        raise HTTPException(409, f"audience {body.name!r} exists; PATCH it to change it")
    return await command(ctx, caller, "CREATE", body.name, description=body.description,
                         criteria_json=criteria_json, scorer=body.scorer)


@router.patch("/v1/audiences/{name}", response_model=AudienceAnswer, responses={
    202: PENDING, **UNPROCESSABLE, **errors(400, 404, 412, 428, *AUTH_ERRORS)})
async def update_audience(name: Name, body: AudienceChangeIn, if_match: IfMatch = None,
                          caller: Caller = Depends(require(api_keys.AUDIENCE)),
                          ctx: ApiContext = Depends(context)) -> JSONResponse:
    """Change an audience's criteria, description or scorer: a new version (`unchanged` when
    nothing differs), as `sxp audience update`."""
    criteria_json = checked_criteria(body.criteria)
    found = await existing(ctx, name)
    check_tag(if_match, found)
    # The service applies it only at the version If-Match named: a concurrent change with
    # the same ETag that got there first makes this one 412.
    return await command(ctx, caller, "UPDATE", name, description=body.description,
                         criteria_json=criteria_json, scorer=body.scorer,
                         if_version=found.version)


@router.delete("/v1/audiences/{name}", response_model=AudienceAnswer, responses={
    202: PENDING, **UNPROCESSABLE, **errors(404, 412, 428, *AUTH_ERRORS)})
async def delete_audience(name: Name, if_match: IfMatch = None,
                          caller: Caller = Depends(require(api_keys.AUDIENCE)),
                          ctx: ApiContext = Depends(context)) -> JSONResponse:
    """Delete an audience: its members go, its versions and audit stay (`sxp audience
    delete`)."""
    found = await existing(ctx, name)
    check_tag(if_match, found)
    return await command(ctx, caller, "DELETE", name, if_version=found.version)


@router.post("/v1/audiences/{name}/qualify", response_model=AudienceAnswer, responses={
    202: PENDING, **UNPROCESSABLE, **errors(400, 404, *AUTH_ERRORS)})
async def qualify_audience(name: Name, body: QualifyIn | None = None,
                           caller: Caller = Depends(require(api_keys.AUDIENCE)),
                           ctx: ApiContext = Depends(context)) -> JSONResponse:
    """Score the members not scored yet at their current criteria and content; the scores
    are cached, so qualifying again with nothing changed scores none (`sxp audience
    qualify`)."""
    await existing(ctx, name)
    return await command(ctx, caller, "QUALIFY", name, top=body.top if body else None)


@router.get("/v1/audience-requests/{request_id}", response_model=AudienceAnswer,
            responses=errors(404, *AUTH_ERRORS))
async def get_audience_request(request_id: Annotated[uuid.UUID, Path()],
                               caller: Caller = Depends(require(api_keys.AUDIENCE)),
                               ctx: ApiContext = Depends(context)) -> AudienceAnswer:
    """The audience service's answer to a command, refusals included (404 until it has
    answered)."""
    async with ctx.db().acquire() as conn:
        answer = await audience_commands.fetch_answer(conn, str(request_id))
    if answer is None:
        raise HTTPException(404, f"no answer to audience request {request_id} (yet)")
    return answer_model(str(request_id), answer.action, answer)

"""`POST /v1/profiles` (to ingest through Kafka) and `GET /v1/jobs/{id}` (how far it came)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from services.api import adapters, domain
from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import Job, ProfilesAccepted, RefusedRow
from sxp_common import api_keys, audit, tracing
from sxp_common.kafka import Outgoing, outgoing, publish_all
from sxp_common.profile_input import INPUT_FIELDS, raw_key, submission_record
from sxp_common.topics import PROFILES_SUBMITTED

router = APIRouter(prefix="/v1", tags=["ingest"])
JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl",
                "application/x-jsonlines")
# Rows are typed as `sxp publish` types them (a count may be "1,200", a flag "yes"); a row
# that cannot be typed is refused with its reason in the 202 answer, and ingest rejects what
# it must (unknown platform, bad handle, ...) with a reason code the job reports.
_PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One input profile; only platform and username are needed by ingest.",
    "properties": {
        **{name: {"type": ["string", "null"]} for name in INPUT_FIELDS},
        **{name: {"type": ["integer", "string", "null"]}
           for name in ("followers", "following", "posts")},
        "verified": {"type": ["boolean", "string", "null"]},
        "platform": {"type": ["string", "null"], "description": "tiktok, threads or x"},
        "collected_at": {"type": ["string", "null"], "description": "ISO 8601"},
    },
}
BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "array", "items": _PROFILE_SCHEMA, "maxItems": 10000}},
    "application/x-ndjson": {"schema": {"type": "string",
                                        "description": "one profile object a line"}},
}}}


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) one over `limit` bytes before reading all of it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes; at most {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def submissions(rows: list[tuple[int, dict[str, Any]]], job_id: str, key_id: str,
                now: datetime) -> list[Outgoing]:
    """One submitted record a row, each the root of its profile's trace."""
    messages = []
    for line, fields in rows:
        record = submission_record(fields, job_id, line, f"api:{key_id}", now)
        headers = tracing.start_trace("POST /v1/profiles", {
            "sxp.job_id": job_id, "sxp.source_line": line,
            "messaging.system": "kafka", "messaging.destination.name": PROFILES_SUBMITTED})
        messages.append(outgoing(PROFILES_SUBMITTED, raw_key(fields), record, headers))
    return messages


@router.post("/profiles", status_code=202, response_model=ProfilesAccepted, openapi_extra=BODY,
             responses=errors(400, 413, 415, *AUTH_ERRORS))
async def post_profiles(request: Request, caller: Caller = Depends(require(api_keys.INGEST)),
                        ctx: ApiContext = Depends(context)) -> ProfilesAccepted:
    """Publish profiles (a JSON array, or NDJSON) to ingest; unreadable rows are refused with
    their reason, not fatal. Poll `GET /v1/jobs/{job_id}` for what ingest made of them."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind not in JSON_TYPES + NDJSON_TYPES:
        raise HTTPException(415, "send application/json (an array) or application/x-ndjson")
    body = await read_body(request, ctx.settings.api_max_body_bytes)
    try:
        parsed = domain.parse_profiles(body, kind in NDJSON_TYPES, ctx.settings.api_max_profiles)
    except domain.TooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except domain.BadRequest as exc:
        raise HTTPException(400, str(exc)) from None
    job_id = str(uuid.uuid4())
    published = await publish_all(
        ctx.broker, submissions(parsed.rows, job_id, caller.key_id, datetime.now(UTC)))
    event = audit.audit_event(
        audit.PROFILES_PUBLISHED, audit.Actor.api_key(caller.key_id, ctx.settings.instance_id),
        outcome="ok", batch_id=job_id, discriminator=job_id, payload=body,
        details={"endpoint": "POST /v1/profiles", "published": published,
                 "bad_rows": len(parsed.refused)})
    await audit.emit(ctx.broker, [event])
    ctx.logger.info("profiles published", extra={"job_id": job_id, "published": published,
                                                  "refused": len(parsed.refused)})
    return ProfilesAccepted(job_id=job_id, accepted=published,
                            refused=[RefusedRow(**r) for r in parsed.refused])


@router.get("/jobs/{job_id}", response_model=Job, responses=errors(404, *AUTH_ERRORS))
async def get_job(job_id: Annotated[uuid.UUID, Path()],
                  caller: Caller = Depends(require(api_keys.INGEST)),
                  ctx: ApiContext = Depends(context)) -> Job:
    """Received, stored, duplicates, new versions, rejected by reason, and whether the job has
    drained through labeling."""
    async with ctx.db().acquire() as conn:
        found = await adapters.job(conn, str(job_id))
    if found is None:
        raise HTTPException(404, f"no job {job_id}")
    by_reason = {reason: len(ids) for reason, ids in
                 sorted(ctx.rejections.get(str(job_id), {}).items())}
    return Job(job_id=str(job_id), rejected_by_reason=by_reason,
               drained=domain.job_drained(found["published"], found["received"],
                                          found["unlabeled"]), **found)

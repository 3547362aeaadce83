"""Reading audiences (read scope): `GET /v1/audiences`, `/v1/audiences/{name}` (with its
versions and ETag), `.../members` (keyset pages), `.../size` and `.../report` (the market
report, the same self-contained HTML page `sxp audience report` writes). The reads are
`sxp_common.audience_reads`, the ones `sxp audience list|show|members|size` print."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from fastapi.responses import HTMLResponse

from services.api import domain
from services.api.audience_models import (
    AudienceDetail,
    AudienceList,
    AudienceMember,
    AudienceMemberPage,
    AudienceSize,
    AudienceSummary,
    AudienceVersion,
)
from services.api.audience_rules import etag
from services.api.deps import (
    AUTH_ERRORS,
    ApiContext,
    Caller,
    context,
    errors,
    json_errors,
    require,
)
from services.api.models import AUDIENCE_NAME
from sxp_common import api_keys, audience_reads
from sxp_common.audience_lookup import UnknownAudience
from sxp_common.audience_report import render_report
from sxp_common.audience_report_data import load_report

router = APIRouter(prefix="/v1/audiences", tags=["audiences"])
Name = Annotated[str, Path(pattern=AUDIENCE_NAME)]


def summary_fields(row: dict[str, Any]) -> dict[str, Any]:
    """An audience row as AudienceSummary's fields (with its ETag)."""
    return {"name": row["name"], "audience_id": row["audience_id"],
            "description": row["description"], "version": row["version"],
            "criteria_hash": row["criteria_hash"], "scorer": row["scorer"],
            "members": row["members"], "created_at": row["created_at"],
            "updated_at": row["updated_at"], "created_by": row["created_by"],
            "etag": etag(row["version"], row["criteria_hash"])}


async def found(ctx: ApiContext, name: str) -> dict[str, Any]:
    """The live audience `name` as `sxp audience show` reads it, or 404."""
    async with ctx.db().acquire() as conn:
        row = await audience_reads.audience(conn, name)
    if row is None:
        raise HTTPException(404, f"no audience named {name!r}")
    return row


@router.get("", response_model=AudienceList, responses=errors(*AUTH_ERRORS))
async def list_audiences(caller: Caller = Depends(require(api_keys.READ)),
                         ctx: ApiContext = Depends(context)) -> AudienceList:
    """Every live audience: version, members, scorer, criteria hash, who made it."""
    async with ctx.db().acquire() as conn:
        rows = await audience_reads.audiences(conn)
    return AudienceList(data=[AudienceSummary(**summary_fields(r)) for r in rows])


@router.get("/{name}", response_model=AudienceDetail, responses={
    200: {"headers": {"ETag": {"description": "to send as If-Match with a PATCH or DELETE",
                               "schema": {"type": "string"}}}},
    **errors(404, *AUTH_ERRORS)})
async def show_audience(name: Name, response: Response,
                        caller: Caller = Depends(require(api_keys.READ)),
                        ctx: ApiContext = Depends(context)) -> AudienceDetail:
    """One audience: description, canonical criteria, members and qualified members, versions."""
    row = await found(ctx, name)
    versions = [AudienceVersion(
        version=v["version"], action=v["action"], criteria_hash=v["criteria_hash"],
        changed_at=v["changed_at"], requested_by=v["changed_by"].get("requested_by"),
        request_id=v["changed_by"].get("request_id")) for v in row["versions"]]
    fields = summary_fields({**row, "members": row["size"]["members"]})
    response.headers["ETag"] = fields["etag"]
    return AudienceDetail(**fields, criteria=row["criteria"],
                          grammar_version=row["grammar_version"], qualified=row["qualified"],
                          versions=versions)


@router.get("/{name}/size", response_model=AudienceSize, responses=errors(404, *AUTH_ERRORS))
async def audience_size(name: Name, caller: Caller = Depends(require(api_keys.READ)),
                        ctx: ApiContext = Depends(context)) -> AudienceSize:
    """Members now, split by platform, tribe and follower tier (the latest recorded)."""
    row = await found(ctx, name)
    return AudienceSize(name=name, **row["size"])


@router.get("/{name}/members", response_model=AudienceMemberPage,
            responses=errors(400, 404, *AUTH_ERRORS))
async def audience_members(
    name: Name,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=domain.MAX_PAGE)] = domain.DEFAULT_PAGE,
    caller: Caller = Depends(require(api_keys.READ)),
    ctx: ApiContext = Depends(context),
) -> AudienceMemberPage:
    """Members in lead card id order, a page at a time, each with its current score; no
    contact data. A cursor holds the criteria it was made under: after a change of criteria
    it is refused (400) and paging starts again."""
    row = await found(ctx, name)
    digest = domain.filters_digest({"audience": row["audience_id"],
                                    "criteria_hash": row["criteria_hash"]})
    try:
        after = domain.decode_cursor(cursor, digest) if cursor else None
    except domain.BadRequest as exc:
        raise HTTPException(400, str(exc)) from None
    async with ctx.db().acquire() as conn:
        rows = await audience_reads.members_page(conn, row["audience_id"],
                                                 row["criteria_hash"], after, limit + 1)
    page = [AudienceMember(**r) for r in rows[:limit]]
    more = len(rows) > limit
    return AudienceMemberPage(
        data=page, limit=limit,
        next_cursor=domain.encode_cursor(page[-1].lead_card_id, digest) if more else None)


@router.get("/{name}/report", response_class=HTMLResponse, responses={
    200: {"content": {"text/html": {"schema": {"type": "string"}}},
          "description": "one self-contained HTML page: inline SVG charts, no script"},
    **json_errors(404, *AUTH_ERRORS)})
async def audience_report(name: Name, caller: Caller = Depends(require(api_keys.READ)),
                          ctx: ApiContext = Depends(context)) -> HTMLResponse:
    """Size over time, splits by platform, tribe and follower tier, label confidence,
    enrichment yield and spend of the audience's members."""
    async with ctx.db().acquire() as conn:
        try:
            data = await load_report(conn, name)
        except UnknownAudience as exc:
            raise HTTPException(404, str(exc)) from None
    return HTMLResponse(render_report(data))

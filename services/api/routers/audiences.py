"""`GET /v1/audiences/{name}/report`: the audience's market report, the same self-contained
HTML page `sxp audience report` writes (read scope; the API reads, it changes nothing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import HTMLResponse

from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import AUDIENCE_NAME
from sxp_common import api_keys
from sxp_common.audience_lookup import UnknownAudience
from sxp_common.audience_report import render_report
from sxp_common.audience_report_data import load_report

router = APIRouter(prefix="/v1/audiences", tags=["audiences"])


@router.get("/{name}/report", response_class=HTMLResponse, responses={
    200: {"content": {"text/html": {"schema": {"type": "string"}}},
          "description": "one self-contained HTML page: inline SVG charts, no script"},
    **errors(404, *AUTH_ERRORS)})
async def audience_report(name: Annotated[str, Path(pattern=AUDIENCE_NAME)],
                          caller: Caller = Depends(require(api_keys.READ)),
                          ctx: ApiContext = Depends(context)) -> HTMLResponse:
    """Size over time, splits by platform, tribe and follower tier, label confidence,
    enrichment yield and spend of the audience's members."""
    async with ctx.db().acquire() as conn:
        try:
            data = await load_report(conn, name)
        except UnknownAudience as exc:
            raise HTTPException(404, str(exc)) from None
    return HTMLResponse(render_report(data))

"""`GET /v1/lead-cards` (filters, keyset pages) and `GET /v1/lead-cards/{id}`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from services.api import adapters, domain
from services.api.contacts import audit_viewed, contact_of
from services.api.deps import AUTH_ERRORS, ApiContext, Caller, context, errors, require
from services.api.models import (
    AuditEntry,
    Label,
    LeadCard,
    LeadCardDetail,
    LeadCardPage,
    Lineage,
    ProfileSummary,
)
from sxp_common import api_keys

router = APIRouter(prefix="/v1/lead-cards", tags=["lead cards"])
Platform = Literal["tiktok", "threads", "x"]
Readiness = Literal["STRUCTURED", "LABELED", "ENRICHED"]
EnrichmentStatus = Literal["NONE", "REQUESTED", "ENRICHED", "FAILED"]
ExecutionLabel = Literal["USER", "PARTNER", "AFFILIATE", "FEEDBACK"]
# Postgres text cannot hold NUL: such a filter is malformed (422), not a server error.
Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]


def card_model(row: dict[str, Any], with_contacts: bool, cls: type[LeadCard] = LeadCard,
               **extra: Any) -> LeadCard:
    """A card row as the API shows it."""
    labels = {name: Label(value=row[name], confidence=row[f"{name}_confidence"])
              for name in ("persona", "tribe", "industry", "execution_label")}
    return cls(
        id=str(row["lead_card_id"]), profile_id=str(row["profile_id"]), platform=row["platform"],
        username=row["username"], readiness=row["readiness"], revision=row["revision"],
        base_confidence=row["base_confidence"], audience_pool=row["audience_pool"], **labels,
        taxonomy_version=row["taxonomy_version"], enrichment_status=row["enrichment_status"],
        labeled_at=row["labeled_at"], created_at=row["created_at"], updated_at=row["updated_at"],
        contact=contact_of(row) if with_contacts else None, **extra)


@router.get("", response_model=LeadCardPage, response_model_exclude_none=True,
            responses=errors(400, *AUTH_ERRORS))
async def list_lead_cards(
    platform: Platform | None = None, persona: Text = None, tribe: Text = None,
    industry: Text = None, execution_label: ExecutionLabel | None = None,
    audience_pool: Text = None, readiness: Readiness | None = None,
    enrichment_status: EnrichmentStatus | None = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    updated_since: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=domain.MAX_PAGE)] = domain.DEFAULT_PAGE,
    caller: Caller = Depends(require(api_keys.READ)),
    ctx: ApiContext = Depends(context),
) -> LeadCardPage:
    """Lead cards in id order, a page at a time; Tier 2 fields only with `read:contacts`."""
    filters = {"platform": platform, "persona": persona, "tribe": tribe, "industry": industry,
               "execution_label": execution_label, "audience_pool": audience_pool,
               "readiness": readiness, "enrichment_status": enrichment_status,
               "min_confidence": min_confidence, "updated_since": updated_since}
    digest = domain.filters_digest(filters)
    try:
        after = domain.decode_cursor(cursor, digest) if cursor else None
    except domain.BadRequest as exc:
        raise HTTPException(400, str(exc)) from None
    with_contacts = caller.key.allows(api_keys.READ_CONTACTS)
    async with ctx.db().acquire() as conn:
        rows = await adapters.card_page(conn, adapters.CardQuery(filters, after, limit,
                                                                 with_contacts))
    page = [card_model(r, with_contacts) for r in rows[:limit]]
    more = len(rows) > limit
    await audit_viewed(ctx, caller, [c.id for c in page if c.contact], "GET /v1/lead-cards")
    return LeadCardPage(data=page, limit=limit,
                        next_cursor=domain.encode_cursor(page[-1].id, digest) if more else None)


@router.get("/{card_id}", response_model=LeadCardDetail, response_model_exclude_none=True,
            responses=errors(404, *AUTH_ERRORS))
async def get_lead_card(
    card_id: Annotated[uuid.UUID, Path()],
    caller: Caller = Depends(require(api_keys.READ)),
    ctx: ApiContext = Depends(context),
) -> LeadCard:
    """One card: labels, evidence, lineage to its profile, revision and compliance trail."""
    with_contacts = caller.key.allows(api_keys.READ_CONTACTS)
    async with ctx.db().acquire() as conn:
        row = await adapters.card(conn, str(card_id), with_contacts)
        if row is None:
            raise HTTPException(404, f"no lead card {card_id}")
        profile = await adapters.profile(conn, row["profile_id"])
        trail = await adapters.card_trail(conn, str(card_id))
    summary = None if profile is None else ProfileSummary(
        **{**profile, "profile_id": str(profile["profile_id"])})
    lineage = Lineage(profile_id=str(row["profile_id"]), profile_version=row["profile_version"],
                      content_hash=row["content_hash"], job_id=row["job_id"], profile=summary)
    card = card_model(row, with_contacts, LeadCardDetail, label_evidence=row["label_evidence"],
                      labeled_profile_version=row["labeled_profile_version"], lineage=lineage,
                      compliance_trail=[AuditEntry(**e) for e in trail])
    if card.contact is not None:
        await audit_viewed(ctx, caller, [card.id], "GET /v1/lead-cards/{id}")
    return card

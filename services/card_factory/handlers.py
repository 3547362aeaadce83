"""on_profile_stored: one lead card per raw profile version, then sxp.leadcards.structured.v1."""

from __future__ import annotations

from services.card_factory.adapters import upsert_cards
from services.card_factory.domain import build_structured_card
from sxp_common.events import RawProfileStored
from sxp_common.kafka import outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import LEADCARDS_STRUCTURED
from sxp_common.tracing import trace_headers


def latest_per_profile(events: list[RawProfileStored]) -> list[RawProfileStored]:
    """Keep the highest version of each profile in a batch (one row per card per statement)."""
    latest: dict[str, RawProfileStored] = {}
    for event in events:
        seen = latest.get(event.profile_id)
        if seen is None or event.version > seen.version:
            latest[event.profile_id] = event
    return list(latest.values())


async def on_profile_stored(events: list[RawProfileStored], deps: ServiceContext) -> None:
    """Handle one batch from sxp.profiles.raw.v1."""
    latest = latest_per_profile(events)
    cards = [(build_structured_card(e.as_record()), e) for e in latest]
    async with deps.db().acquire() as conn, conn.transaction():
        stored_versions = await upsert_cards(conn, [card for card, _ in cards])
        # A card is announced when it holds this version: new, newer, or a redelivery of it.
        current = [(c, e) for c, e in cards
                   if stored_versions.get(c["lead_card_id"]) == c["profile_version"]]
        await deps.stage(conn, [outgoing(LEADCARDS_STRUCTURED, c["lead_card_id"], c,
                                         trace_headers(e.record)) for c, e in current])
    deps.counters.add(cards=len(current))
    deps.logger.info(
        "batch applied",
        extra={"records": len(events), "lead_cards": len(current),
               "jobs": sorted({c["job_id"] for c, _ in current})},
    )

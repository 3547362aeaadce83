"""on_profile_stored: one lead card per raw profile version, then sxp.leadcards.structured.v1."""

from __future__ import annotations

from services.card_factory.adapters import upsert_cards
from services.card_factory.domain import build_structured_card
from sxp_common.kafka import InboundRecord, decode_batch, outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import LEADCARDS_STRUCTURED
from sxp_common.tracing import trace_headers


def latest_per_profile(raws: list[dict]) -> list[dict]:
    """Keep the highest version of each profile in a batch (one row per card per statement)."""
    latest: dict[str, dict] = {}
    for raw in raws:
        seen = latest.get(raw["profile_id"])
        if seen is None or raw["version"] > seen["version"]:
            latest[raw["profile_id"]] = raw
    return list(latest.values())


async def on_profile_stored(ctx: ServiceContext, records: list[InboundRecord]) -> None:
    """Handle one batch from sxp.profiles.raw.v1."""
    batch = decode_batch(ctx.name, records)
    latest = latest_per_profile([v for _, v in batch.records])
    cards = [build_structured_card(raw) for raw in latest]
    record_of = {(v["profile_id"], v["version"]): r for r, v in batch.records}
    async with ctx.db().acquire() as conn, conn.transaction():
        stored_versions = await upsert_cards(conn, cards)
        # A card is announced when it holds this version: new, newer, or a redelivery of it.
        current = [c for c in cards
                   if stored_versions.get(c["lead_card_id"]) == c["profile_version"]]
        messages = [
            outgoing(LEADCARDS_STRUCTURED, c["lead_card_id"], c,
                     trace_headers(record_of[(c["profile_id"], c["profile_version"])]))
            for c in current
        ]
        await ctx.stage(conn, messages + batch.dead_letters)
    ctx.counters.add(consumed=len(records), cards=len(current),
                     dead_lettered=len(batch.dead_letters))
    ctx.logger.info(
        "batch applied",
        extra={"records": len(records), "lead_cards": len(current),
               "jobs": sorted({c["job_id"] for c in current})},
    )

"""on_lead_card_structured: label each card, write the labels, emit sxp.leadcards.labeled.v1."""

from __future__ import annotations

from datetime import UTC, datetime

from services.labeler.adapters import update_labels
from services.labeler.domain import label_card
from services.labeler.records import label_row, labeled_record
from sxp_common.kafka import InboundRecord, decode_batch, outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import LEADCARDS_LABELED
from sxp_common.tracing import trace_headers


async def on_lead_card_structured(ctx: ServiceContext, records: list[InboundRecord]) -> None:
    """Handle one batch from sxp.leadcards.structured.v1. Triggers no enrichment."""
    now = datetime.now(UTC)
    batch = decode_batch(ctx.name, records)
    latest: dict[str, dict] = {}
    for _, card in batch.records:
        seen = latest.get(card["lead_card_id"])
        if seen is None or card["profile_version"] > seen["profile_version"]:
            latest[card["lead_card_id"]] = card
    labeled = [labeled_record(card, label_card(card), now) for card in latest.values()]
    record_of = {(c["lead_card_id"], c["profile_version"]): r for r, c in batch.records}
    async with ctx.db().acquire() as conn, conn.transaction():
        current = await update_labels(conn, [label_row(r) for r in labeled])
        messages = [
            outgoing(LEADCARDS_LABELED, r["lead_card_id"], r,
                     trace_headers(record_of[(r["lead_card_id"], r["profile_version"])]))
            for r in labeled if r["lead_card_id"] in current
        ]
        await ctx.stage(conn, messages + batch.dead_letters)
    decided = sum(1 for r in labeled if r["persona"] and r["tribe"])
    ctx.counters.add(consumed=len(records), labeled=len(messages), decided=decided)
    ctx.logger.info(
        "batch applied",
        extra={"records": len(records), "labeled": len(messages), "persona_and_tribe": decided},
    )

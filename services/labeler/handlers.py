"""on_lead_card_structured: label each card, write the labels, emit sxp.leadcards.labeled.v1."""

from __future__ import annotations

from datetime import UTC, datetime

from services.labeler.adapters import update_labels
from services.labeler.domain import label_card
from services.labeler.records import label_row, labeled_record
from services.labeler.version import model_version
from sxp_common.events import LeadCardStructured
from sxp_common.kafka import outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import LEADCARDS_LABELED
from sxp_common.tracing import trace_headers


def latest_per_card(events: list[LeadCardStructured]) -> list[LeadCardStructured]:
    """Keep the highest profile version of each card in a batch."""
    latest: dict[str, LeadCardStructured] = {}
    for event in events:
        seen = latest.get(event.lead_card_id)
        if seen is None or event.profile_version > seen.profile_version:
            latest[event.lead_card_id] = event
    return list(latest.values())


async def on_lead_card_structured(events: list[LeadCardStructured], deps: ServiceContext) -> None:
    """Handle one batch from sxp.leadcards.structured.v1. Triggers no enrichment. Only the
    cards whose labels changed (or that are labeled at a new profile version) are written and
    announced: a replay after a rule change sends on exactly what the change moved."""
    now = datetime.now(UTC)
    rules, labeled = deps.settings.labeler_rules_dir, []
    for event in latest_per_card(events):
        card = event.as_record()
        labeled.append((labeled_record(card, label_card(card, rules), now), event))
    version = model_version(rules)
    async with deps.db().acquire() as conn, conn.transaction():
        current = await update_labels(conn, [label_row(r, version) for r, _ in labeled])
        messages = [outgoing(LEADCARDS_LABELED, r["lead_card_id"], r, trace_headers(e.record))
                    for r, e in labeled if r["lead_card_id"] in current]
        await deps.stage(conn, messages)
    decided = sum(1 for r, _ in labeled if r["persona"] and r["tribe"])
    deps.counters.add(labeled=len(messages), decided=decided)
    deps.logger.info(
        "batch applied",
        extra={"records": len(events), "labeled": len(messages), "persona_and_tribe": decided},
    )

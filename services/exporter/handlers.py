"""on_cards_changed: export the named cards that became execution-ready, on the configured transport."""

from __future__ import annotations

from services.exporter.domain import Producer, changed_card_ids
from services.exporter.exporting import Exporter, export_ready
from services.exporter.transports import make_transport
from sxp_common import audit
from sxp_common.kafka import InboundRecord, decode_batch, publish_all
from sxp_common.service import ServiceContext


def service_exporter(ctx: ServiceContext) -> Exporter:
    """The exporter of this service instance: its role's pool, its broker, the configured transport."""
    settings = ctx.settings
    return Exporter(
        pool=ctx.db(),
        broker=ctx.broker,
        transport=make_transport(settings.export_transport, settings, ctx.broker),
        producer=Producer("sxp-exporter", settings.instance_id),
        actor=audit.Actor.service(ctx.name, settings.instance_id),
        logger=ctx.logger,
        batch_size=settings.export_batch_size,
    )


async def on_cards_changed(ctx: ServiceContext, records: list[InboundRecord]) -> None:
    """Handle labeled cards and completed enrichments: export those now ready, once per transport."""
    batch = decode_batch(ctx.name, records)
    card_ids = sorted({i for record in batch.records for i in changed_card_ids(record[0].topic, record[1])})
    outcomes = await export_ready(service_exporter(ctx), card_ids, retry_failed=True) if card_ids else []
    await publish_all(ctx.broker, batch.dead_letters)
    by_status: dict[str, int] = {}
    for outcome in outcomes:
        by_status[outcome.status] = by_status.get(outcome.status, 0) + outcome.count
    ctx.counters.add(consumed=len(records), **{f"cards_{k}": v for k, v in by_status.items()})
    ctx.logger.info("batch handled", extra={
        "records": len(records), "cards": len(card_ids),
        "batches": [o.batch_id for o in outcomes][:20], "cards_by_status": by_status})

"""The exporter's subscribers: cards that changed, and `sxp export` commands.

on_cards_changed exports, on the service's transport, the named cards whose current revision
has not gone out there; on_export_command runs what `sxp export` asked (any transport, or a
re-send) and records the answer the CLI waits for. The service is the only exporter.
"""

from __future__ import annotations

import json

from services.exporter import adapters
from services.exporter.domain import Outcome, Producer, changed_card_ids
from services.exporter.exporting import Exporter, export_ready, resend
from services.exporter.transports import make_transport
from sxp_common import audit
from sxp_common.events import (
    EnrichmentBatchCompleted,
    LeadCardLabeled,
    RequestExport,
    of_type,
)
from sxp_common.service import ServiceContext

CardsChanged = LeadCardLabeled | EnrichmentBatchCompleted | RequestExport


def service_exporter(ctx: ServiceContext, transport: str | None = None) -> Exporter:
    """The exporter of this service instance on `transport` (default: the configured one)."""
    settings = ctx.settings
    return Exporter(
        pool=ctx.db(),
        relay=ctx.outbox(),
        transport=make_transport(transport or settings.export_transport, settings),
        producer=Producer("sxp-exporter", settings.instance_id),
        actor=audit.Actor.service(ctx.name, settings.instance_id),
        logger=ctx.logger,
        batch_size=settings.export_batch_size,
    )


async def on_cards_changed(events: list[CardsChanged], deps: ServiceContext) -> None:
    """Handle labeled cards, completed enrichments and export commands of one batch."""
    commands = of_type(events, RequestExport)
    card_ids = sorted({i for e in events if not isinstance(e, RequestExport)
                       for i in changed_card_ids(e.record.topic, e.as_record())})
    outcomes = await export_ready(service_exporter(deps), card_ids,
                                  retry_failed=True) if card_ids else []
    for command in commands:
        await on_export_command(deps, command)
    by_status: dict[str, int] = {}
    for outcome in outcomes:
        by_status[outcome.status] = by_status.get(outcome.status, 0) + outcome.count
    deps.counters.add(**{f"cards_{k}": v for k, v in by_status.items()})
    deps.logger.info("batch handled", extra={
        "records": len(events), "cards": len(card_ids), "commands": len(commands),
        "batches": [o.batch_id for o in outcomes][:20], "cards_by_status": by_status})


async def on_export_command(ctx: ServiceContext, command: RequestExport) -> None:
    """Run one `sxp export` command once; a redelivered command keeps its first answer."""
    command_id, resend_id = command.command_id, command.resend_batch_id
    async with ctx.db().acquire() as conn:
        if await adapters.command_answered(conn, command_id):
            return
        # A re-send without a transport goes out where the batch went out before.
        transport = command.transport or (
            await adapters.batch_transport(conn, resend_id) if resend_id else None) or ""
    try:
        exporter = service_exporter(ctx, transport or None)
        if resend_id:
            outcomes: list[Outcome] = [await resend(exporter, resend_id)]
        else:
            outcomes = await export_ready(exporter, None, retry_failed=True,
                                          audience_id=command.audience_id)
        status, error = "done", None
    except ValueError as exc:  # an unknown transport, batch or audience: the user's input
        outcomes, status, error = [], "failed", str(exc)
    requester = command.requested_by
    async with ctx.db().acquire() as conn:
        await adapters.record_command(
            conn, command_id, transport or ctx.settings.export_transport, resend_id,
            f"{requester.kind}:{requester.name}@{requester.instance}", status,
            json.dumps([o.as_dict() for o in outcomes]), error)
    ctx.logger.info("export command answered", extra={
        "command_id": command_id, "status": status, "batches": [o.batch_id for o in outcomes][:20]})

"""Wires the exporter: consumes sxp.leadcards.labeled.v1 and sxp.enrichment.completed.v1 as group
sxp-exporter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream import FastStream

from services.exporter.domain import TRANSPORTS
from services.exporter.handlers import on_cards_changed
from services.exporter.transports import s3_client
from sxp_common.bucket_lifecycle import apply_exports_lifecycle
from sxp_common.events import EnrichmentBatchCompleted, LeadCardLabeled, RequestExport
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings, get_settings

EVENTS = (LeadCardLabeled, EnrichmentBatchCompleted, RequestExport)


def check_settings(settings: Settings) -> None:
    """Refuse to start with a transport that cannot work (rather than dead-letter every card)."""
    if settings.export_transport not in TRANSPORTS:
        raise ValueError(f"SXP_EXPORT_TRANSPORT must be one of {', '.join(TRANSPORTS)}, "
                         f"not {settings.export_transport!r}")
    if settings.export_transport == "api" and not settings.export_api_url:
        raise ValueError("SXP_EXPORT_TRANSPORT=api needs SXP_EXPORT_API_URL")


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The exporter app and its context; an undecodable record is sent to the dead-letter
    topic at once, before the batch's cards are exported."""
    settings = settings or get_settings()
    check_settings(settings)
    return build_service("exporter", EVENTS, on_cards_changed, settings,
                         resources=exports_lifecycle, dead_letters="sent")


@asynccontextmanager
async def exports_lifecycle(ctx: ServiceContext) -> AsyncIterator[None]:
    """At startup, give the bucket's exports prefix its lifecycle rule (the deployed bucket
    is not made by `sxp stack up`); a store that refuses it is logged, and exports go on."""
    if ctx.settings.export_dir is None:
        client = s3_client(ctx.settings)
        state = await asyncio.to_thread(apply_exports_lifecycle, client, ctx.settings.s3_bucket,
                                        ctx.settings.retention_exports_days)
        ctx.logger.info("exports lifecycle", extra={"bucket": ctx.settings.s3_bucket, **state})
    yield

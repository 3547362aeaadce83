"""Wires the exporter: consumes sxp.leadcards.labeled.v1 and sxp.enrichment.completed.v1 as group
sxp-exporter."""

from __future__ import annotations

from faststream import FastStream

from services.exporter.domain import TRANSPORTS
from services.exporter.handlers import on_cards_changed
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
                         dead_letters="sent")

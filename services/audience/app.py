"""Wires the audience service: consumes its command topic and what moves a criterion's column
(labels, enrichment status) as group sxp-audience."""

from __future__ import annotations

from faststream import FastStream

from services.audience.handlers import on_audience_events
from sxp_common.events import (
    AudienceCommand,
    EnrichmentBatchCompleted,
    EnrichmentBatchRequested,
    LeadCardLabeled,
)
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (AudienceCommand, LeadCardLabeled, EnrichmentBatchRequested, EnrichmentBatchCompleted)


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The audience app and its context; an undecodable record is dead-lettered at once."""
    return build_service("audience", EVENTS, on_audience_events, settings,
                         dead_letters="sent")

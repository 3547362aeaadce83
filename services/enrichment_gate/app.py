"""Wires the enrichment gate: consumes sxp.enrichment.commands.v1 as group sxp-enrichment-gate,
and reaps overdue batches in the background (services.enrichment_gate.reaper)."""

from __future__ import annotations

from faststream import FastStream

from services.enrichment_gate.handlers import on_enrichment_command
from services.enrichment_gate.reaper import reaping
from sxp_common.events import RequestEnrichment
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (RequestEnrichment,)


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The enrichment gate app and its context; an undecodable command is sent to the
    dead-letter topic at once, before the batch's commands are decided."""
    return build_service("enrichment_gate", EVENTS, on_enrichment_command, settings,
                         resources=reaping, dead_letters="sent")

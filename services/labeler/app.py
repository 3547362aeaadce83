"""Wires the labeler: consumes sxp.leadcards.structured.v1 as group sxp-labeler."""

from __future__ import annotations

from faststream import FastStream

from services.labeler.handlers import on_lead_card_structured
from sxp_common.events import LeadCardStructured
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (LeadCardStructured,)


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The labeler app and its context; undecodable cards are staged as dead letters."""
    return build_service("labeler", EVENTS, on_lead_card_structured, settings)

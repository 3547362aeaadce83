"""Wires the labeler: consumes sxp.leadcards.structured.v1 as group sxp-labeler."""

from __future__ import annotations

from faststream import FastStream

from services.labeler.handlers import on_lead_card_structured
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The labeler app and its context."""
    return build_service("labeler", SUBSCRIPTIONS["labeler"], on_lead_card_structured, settings)

"""Wires the card factory: consumes sxp.profiles.raw.v1 as group sxp-card-factory."""

from __future__ import annotations

from faststream import FastStream

from services.card_factory.handlers import on_profile_stored
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The card-factory app and its context."""
    return build_service("card_factory", SUBSCRIPTIONS["card_factory"], on_profile_stored, settings)

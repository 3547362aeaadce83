"""Wires the card factory: consumes sxp.profiles.raw.v1 as group sxp-card-factory."""

from __future__ import annotations

from faststream import FastStream

from services.card_factory.handlers import on_profile_stored
from sxp_common.events import RawProfileStored
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (RawProfileStored,)


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The card-factory app and its context; undecodable records are staged as dead letters."""
    return build_service("card_factory", EVENTS, on_profile_stored, settings)

"""Wires the ingest service: consumes sxp.profiles.submitted.v1 as group sxp-ingest."""

from __future__ import annotations

from faststream import FastStream

from services.ingest.handlers import on_profiles_submitted
from sxp_common.events import ProfileSubmitted
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (ProfileSubmitted,)


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The ingest app and its context; undecodable submissions are staged as dead letters."""
    return build_service("ingest", EVENTS, on_profiles_submitted, settings)

"""Wires the ingest service: consumes sxp.profiles.submitted.v1 as group sxp-ingest."""

from __future__ import annotations

from faststream import FastStream

from services.ingest.handlers import on_profiles_submitted
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The ingest app and its context."""
    return build_service("ingest", SUBSCRIPTIONS["ingest"], on_profiles_submitted, settings)

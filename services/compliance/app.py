"""Wires the compliance service: consumes sxp.compliance.commands.v1 as group sxp-compliance."""

from __future__ import annotations

from faststream import FastStream

from services.compliance.handlers import on_compliance_command
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The compliance app and its context."""
    return build_service("compliance", SUBSCRIPTIONS["compliance"], on_compliance_command,
                         settings)

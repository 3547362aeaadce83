"""Wires the compliance service: consumes sxp.compliance.commands.v1 as group sxp-compliance."""

from __future__ import annotations

from faststream import FastStream

from services.compliance.handlers import on_compliance_command
from sxp_common.events import ComplianceCommand
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (ComplianceCommand,)


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The compliance app and its context; an undecodable command is dead-lettered at once."""
    return build_service("compliance", EVENTS, on_compliance_command, settings,
                         dead_letters="sent")

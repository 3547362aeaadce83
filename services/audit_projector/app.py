"""Wires the audit projector: consumes sxp.audit.v1 as group sxp-audit-projector."""

from __future__ import annotations

from faststream import FastStream

from services.audit_projector.handlers import on_audit_event
from sxp_common.events import AuditEvent
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (AuditEvent,)


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The audit projector app and its context; undecodable events are staged as dead letters."""
    return build_service("audit_projector", EVENTS, on_audit_event, settings)

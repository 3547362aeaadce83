"""The typed commands the services consume: one frozen dataclass per command topic.

Built by `sxp_common.events.decode_event` like every other consumed event; each mirrors its
Avro schema field for field (tests/contract/test_event_models.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sxp_common.event_base import ConsumedEvent
from sxp_common.topics import (
    AUDIENCE_COMMANDS,
    COMPLIANCE_COMMANDS,
    ENRICHMENT_COMMANDS,
    EXPORT_COMMANDS,
)


@dataclass(frozen=True)
class Requester:
    """Who sent a command."""

    kind: str
    name: str
    instance: str


@dataclass(frozen=True)
class RequestEnrichment(ConsumedEvent):
    """sxp.enrichment.commands.v1 (r1-r4): enrich the cards with these labels (r4: or the
    best-qualified `top` members of an audience), or, by `kind`, only say what that would do
    (DRY_RUN) or close overdue batches (REAP)."""

    TOPIC: ClassVar[str] = ENRICHMENT_COMMANDS
    request_id: str
    labels: list[str]
    min_confidence: float | None
    limit: int | None
    budget_usd: float | None
    requested_by: Requester
    requested_at: datetime
    retry_failed: bool
    kind: str
    older_than_s: float | None
    audience_id: str | None
    top: int | None


@dataclass(frozen=True)
class RequestExport(ConsumedEvent):
    """sxp.export.commands.v1 (r1-r2): export what is ready (r2: of one audience), or re-send
    one batch."""

    TOPIC: ClassVar[str] = EXPORT_COMMANDS
    command_id: str
    transport: str
    resend_batch_id: str | None
    requested_by: Requester
    requested_at: datetime
    audience_id: str | None


@dataclass(frozen=True)
class ComplianceCommand(ConsumedEvent):
    """sxp.compliance.commands.v1 (r1-r2): forget one subject (by identity hash, never by
    name), or apply the retention ages (RETENTION, r2, optionally a dry run)."""

    TOPIC: ClassVar[str] = COMPLIANCE_COMMANDS
    request_id: str
    kind: str
    identity_hash: str
    requested_by: Requester
    requested_at: datetime
    dry_run: bool


@dataclass(frozen=True)
class AudienceCommand(ConsumedEvent):
    """sxp.audience.commands.v1: create, update, delete or qualify one audience, by name."""

    TOPIC: ClassVar[str] = AUDIENCE_COMMANDS
    request_id: str
    action: str
    name: str
    description: str | None
    criteria_json: str | None
    scorer: str | None
    top: int | None
    requested_by: str
    requested_at: datetime
    if_version: int | None = None

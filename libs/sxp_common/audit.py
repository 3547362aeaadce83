"""The one audit emitter: deterministic events on the compacted sxp.audit.v1 topic.

An event carries ids and hashes only. Its id is derived from what happened (type,
batch, subject ids, a discriminator), so emitting the same action twice is the same
event, which compaction and the projector both collapse. A null value would erase an
event from the compacted topic for good, so the emitter never sends one.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker

from sxp_common.kafka import Outgoing, outgoing, publish_all
from sxp_common.topics import AUDIT

ENRICHMENT_REQUESTED = "enrichment_requested"
ENRICHMENT_APPROVED = "enrichment_approved"
ENRICHMENT_REFUSED = "enrichment_refused"
ENRICHMENT_STARTED = "enrichment_started"
ENRICHMENT_COMPLETED = "enrichment_completed"
ENRICHMENT_FAILED = "enrichment_failed"
HANDOFF_EMITTED = "handoff_emitted"
HANDOFF_FAILED = "handoff_failed"
PROFILES_PUBLISHED = "profiles_published"
SERVICE_REPLAYED = "service_replayed"
DEADLETTERS_REDRIVEN = "deadletters_redriven"
SUBJECT_ERASED = "subject_erased"
# Rows past their configured age deleted by the compliance service: counts per rule and table.
RETENTION_APPLIED = "retention_applied"
# Tier 2 contact values left the system in an API response: who saw which cards, never what.
CONTACTS_VIEWED = "contacts_viewed"
# Audiences (services/audience): definitions changed, members moved, members qualified.
AUDIENCE_CREATED = "audience_created"
AUDIENCE_UPDATED = "audience_updated"
AUDIENCE_DELETED = "audience_deleted"
AUDIENCE_MEMBERSHIP_CHANGED = "audience_membership_changed"
AUDIENCE_QUALIFIED = "audience_qualified"
AUDIENCE_EVENT_TYPES = (AUDIENCE_CREATED, AUDIENCE_UPDATED, AUDIENCE_DELETED,
                        AUDIENCE_MEMBERSHIP_CHANGED, AUDIENCE_QUALIFIED)
EVENT_TYPES = (
    PROFILES_PUBLISHED, SERVICE_REPLAYED, DEADLETTERS_REDRIVEN, SUBJECT_ERASED, CONTACTS_VIEWED,
    RETENTION_APPLIED,
    ENRICHMENT_REQUESTED, ENRICHMENT_APPROVED, ENRICHMENT_REFUSED,
    ENRICHMENT_STARTED, ENRICHMENT_COMPLETED, ENRICHMENT_FAILED, HANDOFF_EMITTED, HANDOFF_FAILED,
    *AUDIENCE_EVENT_TYPES,
)
MAX_INLINE_IDS = 250
GENESIS_HASH = "0" * 64


class AuditError(ValueError):
    """An audit event that must not be emitted (unknown type, missing value)."""


@dataclass(frozen=True)
class Actor:
    """Who acted: a service instance, or a user at a host running the CLI."""

    kind: str
    name: str
    instance: str

    @classmethod
    def service(cls, name: str, instance: str) -> Actor:
        """A service instance as the actor (its id comes from the service's settings)."""
        return cls("service", name, instance)

    @classmethod
    def api_key(cls, key_id: str, instance: str) -> Actor:
        """A caller of the HTTP API, named by its key's id (never the key itself)."""
        return cls("api_key", key_id, instance)

    @classmethod
    def cli(cls) -> Actor:
        """The user running the CLI on this host."""
        return cls("cli", getpass.getuser(), socket.gethostname())


def sha256_of(payload: bytes | str) -> str:
    """Hex SHA-256 of bytes or UTF-8 text."""
    return hashlib.sha256(payload.encode() if isinstance(payload, str) else payload).hexdigest()


def audit_event(
    event_type: str,
    actor: Actor,
    *,
    outcome: str,
    occurred_at: datetime | None = None,
    batch_id: str | None = None,
    lead_card_ids: Sequence[str] = (),
    schema_version: str = "v1",
    reason: str | None = None,
    provider: str | None = None,
    cost_usd: float | None = None,
    payload: bytes | str | None = None,
    details: Mapping[str, Any] | None = None,
    discriminator: str = "",
    trace_id: str | None = None,
) -> dict[str, Any]:
    """Build one sxp.audit.v1 record with a deterministic event id (pure)."""
    if event_type not in EVENT_TYPES:
        raise AuditError(f"unknown audit event type {event_type!r}")
    ids = sorted(set(lead_card_ids))
    ids_hash = sha256_of("\n".join(ids))
    identity = "|".join((event_type, batch_id or "", ids_hash, provider or "", discriminator))
    inline = len(ids) <= MAX_INLINE_IDS
    when = occurred_at or datetime.now(UTC)
    return {
        "event_id": sha256_of(identity)[:32],
        "event_type": event_type,
        # Avro carries milliseconds; truncating here keeps the event hash stable end to end.
        "occurred_at": when.replace(microsecond=when.microsecond // 1000 * 1000),
        "actor": {"kind": actor.kind, "name": actor.name, "instance": actor.instance},
        "batch_id": batch_id,
        "lead_card_ids": ids if inline else [],
        "lead_card_count": len(ids),
        "lead_card_ref": None if inline else ids_hash,
        "schema_version": schema_version,
        "outcome": outcome,
        "reason": reason,
        "provider": provider,
        "cost_usd": cost_usd,
        "checksum": None if payload is None else sha256_of(payload),
        "details": {str(k): str(v) for k, v in (details or {}).items()},
        "trace_id": trace_id,
    }


def audit_messages(events: Iterable[Mapping[str, Any]]) -> list[Outgoing]:
    """Encode events for the audit topic, keyed by event id; never a null value."""
    messages = []
    for event in events:
        message = outgoing(AUDIT, event["event_id"], dict(event))
        if not message.value:
            raise AuditError("refusing to send a null audit value: it would erase the event")
        messages.append(message)
    return messages


async def emit(broker: KafkaBroker, events: Iterable[Mapping[str, Any]]) -> int:
    """Publish audit events (acks=all, idempotent producer) and wait for the acks."""
    return await publish_all(broker, audit_messages(events))


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 of an event's canonical JSON: what the projection's hash chain covers."""
    canonical = {
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "occurred_at": _millis(event["occurred_at"]),
        "actor": dict(event["actor"]),
        "batch_id": event.get("batch_id"),
        "lead_card_ids": list(event.get("lead_card_ids") or []),
        "lead_card_count": int(event.get("lead_card_count") or 0),
        "lead_card_ref": event.get("lead_card_ref"),
        "schema_version": event["schema_version"],
        "outcome": event["outcome"],
        "reason": event.get("reason"),
        "provider": event.get("provider"),
        "cost_usd": None if event.get("cost_usd") is None else round(float(event["cost_usd"]), 4),
        "checksum": event.get("checksum"),
        "details": dict(sorted((event.get("details") or {}).items())),
        "trace_id": event.get("trace_id"),
    }
    return sha256_of(json.dumps(canonical, sort_keys=True, separators=(",", ":"),
                                ensure_ascii=False))


def chain_hash(prev_hash: str, event_digest: str) -> str:
    """The next link: SHA-256 of the previous row's hash and this event's hash."""
    return sha256_of(prev_hash + event_digest)


def _millis(value: datetime | int) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(value)

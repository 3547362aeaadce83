"""The handoff use case, shared by the exporter service and `sxp export`.

1. Under the transport's claim lock, in one transaction: take the ready cards not yet
   claimed on the transport, cut them into batches, validate each against the contract,
   record the accepted ones as pending (claiming their cards) and the refused ones.
2. After the commit, deliver each pending batch (plus leftovers from an earlier crash or
   failure) and record the outcome.
3. Audit: handoff_emitted per delivered batch (checksum of the canonical payload), and
   handoff_failed per refused batch or failed delivery.
A crash between 1 and 2 leaves the batch pending; the next run sends the same document,
so the batch id and checksum never change.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import asyncpg
from fastavro import parse_schema
from faststream.kafka import KafkaBroker

from services.exporter import adapters
from services.exporter.domain import (
    LeadBatch, Producer, Refusal, card_from_row, plan_batches, screen_batches,
)
from services.exporter.transports import DeliveryFailed, Transport
from services.exporter.validation import Contract, contract_errors
from sxp_common import audit
from sxp_common.avro import contracts_dir

CONTRACT_VIOLATION = "contract_violation"


@lru_cache(maxsize=4)
def load_contract(root: Path | None = None) -> Contract:
    """The JSON Schema and the Avro schema of Lead Card Batch v1, from contracts/."""
    folder = root or contracts_dir()
    json_schema = json.loads((folder / "lead-batch.v1.schema.json").read_text())
    avro_schema = parse_schema(json.loads((folder / "lead-batch.v1.avsc").read_text()))
    return Contract(json_schema, avro_schema)


@dataclass
class Exporter:
    """What one export needs: the role's pool, a transport, the broker for audit events."""

    pool: asyncpg.Pool
    broker: KafkaBroker
    transport: Transport
    producer: Producer
    actor: audit.Actor
    logger: logging.Logger
    batch_size: int = 250
    contract: Contract = field(default_factory=load_contract)


@dataclass(frozen=True)
class Outcome:
    """What happened to one batch in this run."""

    batch_id: str
    transport: str
    status: str
    count: int
    checksum: str
    location: str | None = None
    error: str | None = None
    card_ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """For `sxp export --json` (no card ids: batches can be large)."""
        return {"batch_id": self.batch_id, "transport": self.transport, "status": self.status,
                "count": self.count, "checksum": self.checksum, "location": self.location,
                "error": self.error}


async def export_ready(
    exporter: Exporter, card_ids: Sequence[str] | None = None, retry_failed: bool = False
) -> list[Outcome]:
    """Export ready cards (all, or among `card_ids`) not yet sent on the transport."""
    transport = exporter.transport.name
    states = adapters.OPEN_STATES if retry_failed else ("pending",)
    now = datetime.now(UTC)
    async with exporter.pool.acquire() as conn, conn.transaction():
        await adapters.lock_transport(conn, transport)
        leftovers = [b.lead_batch() for b in await adapters.open_batches(conn, transport, card_ids, states)]
        cards = [card_from_row(r) for r in await adapters.ready_cards(conn, transport, card_ids)]
        planned = plan_batches(transport, cards, exporter.producer, now, exporter.batch_size)
        accepted, refused = screen_batches(
            planned, lambda b: contract_errors(b, exporter.contract), exporter.batch_size)
        await adapters.record_batches(conn, accepted)
        await adapters.record_refusals(conn, refused)
    outcomes = [_refused(exporter, r) for r in refused]
    events = [_refusal_event(exporter, r, now) for r in refused]
    for batch in leftovers + accepted:
        outcome, event = await deliver(exporter, batch, now)
        outcomes.append(outcome)
        events.append(event)
    if events:
        await audit.emit(exporter.broker, events)
    return outcomes


async def resend(exporter: Exporter, batch_id: str) -> Outcome:
    """Deliver a recorded batch again: same document, so the same batch id and checksum."""
    async with exporter.pool.acquire() as conn:
        stored = await adapters.stored_batch(conn, batch_id)
    if stored is None:
        raise ValueError(f"no batch {batch_id} was exported")
    if stored.transport != exporter.transport.name:
        raise ValueError(f"batch {batch_id} went out on {stored.transport}, not {exporter.transport.name}")
    batch = stored.lead_batch()
    if contract_errors(batch, exporter.contract):
        raise ValueError(f"stored batch {batch_id} no longer matches its checksum or the contract")
    now = datetime.now(UTC)
    outcome, event = await deliver(exporter, batch, now, discriminator=f"resend:{now.isoformat()}")
    await audit.emit(exporter.broker, [event])
    return outcome


async def deliver(
    exporter: Exporter, batch: LeadBatch, now: datetime, discriminator: str = ""
) -> tuple[Outcome, dict[str, Any]]:
    """Send one recorded batch, record the result, and return it with its audit event."""
    common = {"batch_id": batch.batch_id, "lead_card_ids": batch.card_ids, "occurred_at": now,
              "payload": batch.canonical_payload()}
    log = {"batch_id": batch.batch_id, "transport": batch.transport, "count": batch.count,
           "checksum": batch.checksum}
    try:
        location = await exporter.transport.send(batch)
    except DeliveryFailed as exc:
        async with exporter.pool.acquire() as conn:
            attempts = await adapters.mark_failed(conn, batch.batch_id, exc.reason)
        exporter.logger.warning("handoff failed", extra={**log, "reason": exc.reason})
        event = audit.audit_event(
            audit.HANDOFF_FAILED, exporter.actor, outcome="failed", reason=exc.reason,
            details={"transport": batch.transport, "attempt": attempts},
            discriminator=f"{discriminator}attempt:{attempts}", **common)
        return _outcome(batch, "failed", error=exc.reason), event
    async with exporter.pool.acquire() as conn:
        await adapters.mark_delivered(conn, batch.batch_id, location)
    exporter.logger.info("handoff emitted", extra={**log, "location": location})
    event = audit.audit_event(
        audit.HANDOFF_EMITTED, exporter.actor, outcome="emitted",
        details={"transport": batch.transport, "location": location, "count": batch.count},
        discriminator=discriminator, **common)
    return _outcome(batch, "delivered", location=location), event


def _outcome(batch: LeadBatch, status: str, location: str | None = None,
             error: str | None = None) -> Outcome:
    return Outcome(batch.batch_id, batch.transport, status, batch.count, batch.checksum,
                   location, error, tuple(batch.card_ids))


def _refused(exporter: Exporter, refusal: Refusal) -> Outcome:
    batch = refusal.batch
    exporter.logger.warning("batch refused by the contract", extra={
        "batch_id": batch.batch_id, "transport": batch.transport, "count": batch.count,
        "errors": list(refusal.errors[:5])})
    return _outcome(batch, "refused", error="; ".join(refusal.errors[:3]))


def _refusal_event(exporter: Exporter, refusal: Refusal, now: datetime) -> dict[str, Any]:
    batch = refusal.batch
    return audit.audit_event(
        audit.HANDOFF_FAILED, exporter.actor, outcome="refused", reason=CONTRACT_VIOLATION,
        batch_id=batch.batch_id, lead_card_ids=batch.card_ids, occurred_at=now,
        payload=batch.canonical_payload(),
        details={"transport": batch.transport, "errors": "; ".join(refusal.errors)[:500]},
        discriminator=f"refused:{batch.checksum}")

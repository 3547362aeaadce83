"""The handoff use case of the exporter service: its own stream, and `sxp export` commands.

1. Under the transport's claim lock, in one transaction: take the cards whose current
   revision has not gone out on the transport, cut them into batches, validate each against
   the contract, record the accepted ones (claiming the cards at their revisions) and the
   refused ones, and stage the audit events of the refusals in the outbox.
   A queue batch is staged in the outbox in that same transaction, recorded as delivered
   with its `handoff_emitted` event: it is on the topic once (and whenever) the batch exists.
2. After the commit, deliver each pending file or api batch (plus leftovers from an earlier
   crash or failure) under a per-batch lock, so no two exporters send one batch at once,
   and record the outcome together with its audit event.
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

from services.exporter import adapters
from services.exporter.domain import (
    LeadBatch,
    Outcome,
    Producer,
    Refusal,
    card_from_row,
    plan_batches,
    screen_batches,
)
from services.exporter.transports import DeliveryFailed, Transport
from services.exporter.validation import Contract, contract_errors
from sxp_common import audit, outbox
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
    """What one export needs: the role's pool, a transport, the outbox relay for events."""

    pool: asyncpg.Pool
    relay: outbox.Relay
    transport: Transport
    producer: Producer
    actor: audit.Actor
    logger: logging.Logger
    batch_size: int = 250
    contract: Contract = field(default_factory=load_contract)

    @property
    def in_outbox(self) -> bool:
        """Whether batches of this transport leave through the outbox (the queue)."""
        return bool(getattr(self.transport, "in_outbox", False))


async def export_ready(
    exporter: Exporter, card_ids: Sequence[str] | None = None, retry_failed: bool = False,
    audience_id: str | None = None,
) -> list[Outcome]:
    """Export the cards (all, among `card_ids`, or an audience's members) whose revision has
    not gone out yet; an audience's batches carry its id and criteria hash, and only its
    own unfinished batches are sent again."""
    transport = exporter.transport.name
    states = adapters.OPEN_STATES if retry_failed else ("pending",)
    now = datetime.now(UTC)
    async with exporter.pool.acquire() as conn, conn.transaction():
        audience = None if audience_id is None else await adapters.live_audience(conn,
                                                                                 audience_id)
        await adapters.lock_transport(conn, transport)
        leftovers = [b.lead_batch() for b in await adapters.open_batches(conn, transport, card_ids,
                                                                         states)]
        if audience is not None:
            leftovers = [b for b in leftovers if b.audience_id == audience.audience_id]
        rows = await adapters.ready_cards(conn, transport, card_ids, audience_id)
        cards = [card_from_row(r) for r in rows]
        planned = plan_batches(transport, cards, exporter.producer, now, exporter.batch_size,
                               audience)
        accepted, refused = screen_batches(
            planned, lambda b: contract_errors(b, exporter.contract), exporter.batch_size)
        await adapters.record_batches(conn, accepted)
        await adapters.record_refusals(conn, refused)
        events = [_refusal_event(exporter, r, now) for r in refused]
        await exporter.relay.stage(conn, audit.audit_messages(events))
        outcomes = [_refused(exporter, r) for r in refused]
        if exporter.in_outbox:
            outcomes += [await _stage_delivery(exporter, conn, b,
                                               now) for b in leftovers + accepted]
    if not exporter.in_outbox:
        for batch in leftovers + accepted:
            outcome = await deliver(exporter, batch, now)
            if outcome is not None:
                outcomes.append(outcome)
    await exporter.relay.flush()
    return outcomes


async def resend(exporter: Exporter, batch_id: str) -> Outcome:
    """Deliver a recorded batch again: same document, so the same batch id and checksum."""
    async with exporter.pool.acquire() as conn:
        stored = await adapters.stored_batch(conn, batch_id)
    if stored is None:
        raise ValueError(f"no batch {batch_id} was exported")
    if stored.transport != exporter.transport.name:
        raise ValueError(f"batch {batch_id} went out on {stored.transport}, not "
                         f"{exporter.transport.name}")
    batch = stored.lead_batch()
    if contract_errors(batch, exporter.contract):
        raise ValueError(f"stored batch {batch_id} no longer matches its checksum or the contract")
    now = datetime.now(UTC)
    discriminator = f"resend:{now.isoformat()}"
    outcome: Outcome | None
    if exporter.in_outbox:
        async with exporter.pool.acquire() as conn, conn.transaction():
            outcome = await _stage_delivery(exporter, conn, batch, now, discriminator)
    else:
        outcome = await deliver(exporter, batch, now, discriminator=discriminator, again=True)
    await exporter.relay.flush()
    if outcome is None:
        raise ValueError(f"batch {batch_id} is being delivered by another exporter right now")
    return outcome


async def _stage_delivery(
    exporter: Exporter, conn: asyncpg.Connection, batch: LeadBatch, now: datetime,
    discriminator: str = "",
) -> Outcome:
    """Queue delivery inside the caller's transaction: the record, the state, the event."""
    location = exporter.transport.location(batch)  # type: ignore[attr-defined]
    await adapters.mark_delivered(conn, batch.batch_id, location)
    event = _emitted_event(exporter, batch, now, location, discriminator)
    await exporter.relay.stage(conn,
                               [*exporter.transport.records(batch),  # type: ignore[attr-defined]
                                      *audit.audit_messages([event])])
    _log_emitted(exporter, batch, location)
    return _outcome(batch, "delivered", location=location)


async def deliver(
    exporter: Exporter, batch: LeadBatch, now: datetime, discriminator: str = "",
    again: bool = False,
) -> Outcome | None:
    """Send one recorded file or api batch and record the result with its audit event.

    Holds the batch's lock meanwhile; None when another exporter holds it, or (unless
    `again`) when the batch was delivered since it was read."""
    async with adapters.batch_lock(exporter.pool, batch.batch_id) as conn:
        delivered = not again and conn is not None and (
            await adapters.batch_status(conn, batch.batch_id) == "delivered")
        if conn is None or delivered:
            return None
        try:
            location = await exporter.transport.send(batch)
        except DeliveryFailed as exc:
            async with conn.transaction():
                attempts = await adapters.mark_failed(conn, batch.batch_id, exc.reason)
                await exporter.relay.stage(conn, audit.audit_messages([_failed_event(
                    exporter, batch, now, exc.reason, attempts, discriminator)]))
            exporter.logger.warning("handoff failed", extra={**_log(batch), "reason": exc.reason})
            return _outcome(batch, "failed", error=exc.reason)
        async with conn.transaction():
            await adapters.mark_delivered(conn, batch.batch_id, location)
            await exporter.relay.stage(conn, audit.audit_messages([
                _emitted_event(exporter, batch, now, location, discriminator)]))
    _log_emitted(exporter, batch, location)
    return _outcome(batch, "delivered", location=location)


def _common(batch: LeadBatch, now: datetime) -> dict[str, Any]:
    return {"batch_id": batch.batch_id, "lead_card_ids": batch.card_ids, "occurred_at": now,
            "payload": batch.canonical_payload()}


def _emitted_event(exporter: Exporter, batch: LeadBatch, now: datetime, location: str,
                   discriminator: str) -> dict[str, Any]:
    return audit.audit_event(
        audit.HANDOFF_EMITTED, exporter.actor, outcome="emitted",
        details={"transport": batch.transport, "location": location, "count": batch.count},
        discriminator=discriminator, **_common(batch, now))


def _failed_event(exporter: Exporter, batch: LeadBatch, now: datetime, reason: str, attempts: int,
                  discriminator: str) -> dict[str, Any]:
    return audit.audit_event(
        audit.HANDOFF_FAILED, exporter.actor, outcome="failed", reason=reason,
        details={"transport": batch.transport, "attempt": attempts},
        discriminator=f"{discriminator}attempt:{attempts}", **_common(batch, now))


def _log(batch: LeadBatch) -> dict[str, Any]:
    return {"batch_id": batch.batch_id, "transport": batch.transport, "count": batch.count,
            "checksum": batch.checksum}


def _log_emitted(exporter: Exporter, batch: LeadBatch, location: str) -> None:
    exporter.logger.info("handoff emitted", extra={**_log(batch), "location": location})


def _outcome(batch: LeadBatch, status: str, location: str | None = None,
             error: str | None = None) -> Outcome:
    return Outcome(batch.batch_id, batch.transport, status, batch.count, batch.checksum,
                   location, error, tuple(batch.card_ids))


def _refused(exporter: Exporter, refusal: Refusal) -> Outcome:
    batch = refusal.batch
    exporter.logger.warning("batch refused by the contract", extra={
        **_log(batch), "errors": list(refusal.errors[:5])})
    return _outcome(batch, "refused", error="; ".join(refusal.errors[:3]))


def _refusal_event(exporter: Exporter, refusal: Refusal, now: datetime) -> dict[str, Any]:
    batch = refusal.batch
    return audit.audit_event(
        audit.HANDOFF_FAILED, exporter.actor, outcome="refused", reason=CONTRACT_VIOLATION,
        batch_id=batch.batch_id, lead_card_ids=batch.card_ids, occurred_at=now,
        payload=batch.canonical_payload(),
        details={"transport": batch.transport, "errors": "; ".join(refusal.errors)[:500]},
        discriminator=f"refused:{batch.checksum}")

"""The typed events the services consume: one frozen dataclass per topic, built at the edge
(the command topics' models are in `sxp_common.command_events`, their base in `event_base`).

The codec (`sxp_common.avro`) resolves every writer revision to the topic's current schema;
`decode_event` turns that record into the topic's model, so a handler reads
`event.lead_card_id` instead of `record["lead_card_id"]`, and carries the Kafka record it
came from (`event.record`) for tracing, dead letters and `continuing(...)`.
Each model mirrors its Avro schema field for field; tests/contract/test_event_models.py
fails when a schema and its model part ways. Frozen dataclasses rather than pydantic
models: the schema already validated the bytes, and building a dataclass is several times
cheaper on this hot path, nested records most (bench/events_decode.py measures both).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar, cast

from sxp_common import avro
from sxp_common.command_events import (
    AudienceCommand,
    ComplianceCommand,
    RequestEnrichment,
    RequestExport,
)
from sxp_common.event_base import ConsumedEvent
from sxp_common.kafka import InboundRecord, Outgoing, dead_letter
from sxp_common.topics import (
    AUDIT,
    ENRICHMENT_COMPLETED,
    ENRICHMENT_REQUESTED,
    LEADCARDS_LABELED,
    LEADCARDS_STRUCTURED,
    PROFILES_RAW,
    PROFILES_SUBMITTED,
)


@dataclass(frozen=True)
class ProfileSubmitted(ConsumedEvent):
    """sxp.profiles.submitted.v1: a profile as a producer submitted it, not validated yet."""

    TOPIC: ClassVar[str] = PROFILES_SUBMITTED
    submission_id: str
    job_id: str
    source: str
    submitted_at: datetime
    platform: str | None
    username: str | None
    display_name: str | None
    bio: str | None
    followers: int | None
    following: int | None
    posts: int | None
    verified: bool | None
    profile_url: str | None
    external_url: str | None
    category: str | None
    location: str | None
    collected_at: str | None


@dataclass(frozen=True)
class RawProfileStored(ConsumedEvent):
    """sxp.profiles.raw.v1: one stored, redacted version of a profile."""

    TOPIC: ClassVar[str] = PROFILES_RAW
    profile_id: str
    identity_hash: str
    version: int
    content_hash: str
    submission_id: str
    job_id: str
    platform: str
    username: str
    display_name: str | None
    bio: str | None
    followers: int | None
    following: int | None
    posts: int | None
    verified: bool
    profile_url: str | None
    external_url: str | None
    category: str | None
    location: str | None
    collected_at: datetime | None
    source: str
    contact_data_removed: bool


@dataclass(frozen=True)
class LeadCardStructured(ConsumedEvent):
    """sxp.leadcards.structured.v1: a lead card built from one profile version."""

    TOPIC: ClassVar[str] = LEADCARDS_STRUCTURED
    lead_card_id: str
    profile_id: str
    profile_version: int
    content_hash: str
    job_id: str
    readiness: str
    base_confidence: float
    audience_pool: str
    platform: str
    username: str
    display_name: str | None
    bio: str | None
    followers: int | None
    following: int | None
    posts: int | None
    verified: bool
    external_url: str | None
    category: str | None
    location: str | None


@dataclass(frozen=True)
class Label:
    """One label of a card with its confidence and evidence."""

    id: str
    confidence: float
    evidence: list[str]


@dataclass(frozen=True)
class LeadCardLabeled(ConsumedEvent):
    """sxp.leadcards.labeled.v1: the labels of one card version."""

    TOPIC: ClassVar[str] = LEADCARDS_LABELED
    lead_card_id: str
    profile_id: str
    profile_version: int
    job_id: str
    readiness: str
    platform: str
    base_confidence: float
    audience_pool: str
    taxonomy_version: str
    persona: Label | None
    tribe: Label | None
    industry: Label | None
    execution_label: Label | None
    labeled_at: datetime


@dataclass(frozen=True)
class Actor:
    """Who did something: a service instance or a CLI user."""

    kind: str
    name: str
    instance: str


@dataclass(frozen=True)
class AuditEvent(ConsumedEvent):
    """sxp.audit.v1: one audited action."""

    TOPIC: ClassVar[str] = AUDIT
    event_id: str
    event_type: str
    occurred_at: datetime
    actor: Actor
    batch_id: str | None
    lead_card_ids: list[str]
    lead_card_count: int
    lead_card_ref: str | None
    schema_version: str
    outcome: str
    reason: str | None
    provider: str | None
    cost_usd: float | None
    checksum: str | None
    details: dict[str, str]
    trace_id: str | None


@dataclass(frozen=True)
class EnrichmentItem:
    """One card of an approved batch, with the providers it may go to."""

    lead_card_id: str
    execution_label: str
    routes: list[str]
    first_name: str | None
    last_name: str | None
    full_name: str | None
    organization_name: str | None
    domain: str | None
    city: str | None
    state: str | None
    country: str | None


@dataclass(frozen=True)
class EnrichmentBatchRequested(ConsumedEvent):
    """sxp.enrichment.requested.v1: an approved batch, for the adapter to enrich."""

    TOPIC: ClassVar[str] = ENRICHMENT_REQUESTED
    batch_id: str
    request_id: str
    created_at: datetime
    reserved_usd: float
    providers: list[str]
    items: list[EnrichmentItem]


@dataclass(frozen=True)
class EnrichmentOutcome:
    """What enrichment did to one card."""

    lead_card_id: str
    status: str
    contact_id: str | None
    business_id: str | None
    matched_provider: str | None
    providers_tried: list[str]
    cost_usd: float


@dataclass(frozen=True)
class EnrichmentBatchCompleted(ConsumedEvent):
    """sxp.enrichment.completed.v1: a settled batch, ids only."""

    TOPIC: ClassVar[str] = ENRICHMENT_COMPLETED
    batch_id: str
    request_id: str
    completed_at: datetime
    status: str
    reserved_usd: float
    settled_usd: float
    results: list[EnrichmentOutcome]


EVENT_TYPES: tuple[type[ConsumedEvent], ...] = (
    ProfileSubmitted, RawProfileStored, LeadCardStructured, LeadCardLabeled, AuditEvent,
    RequestEnrichment, EnrichmentBatchRequested, EnrichmentBatchCompleted, RequestExport,
    ComplianceCommand, AudienceCommand,
)
MODELS: dict[str, type[ConsumedEvent]] = {model.TOPIC: model for model in EVENT_TYPES}

E = TypeVar("E", bound=ConsumedEvent)
Converter = Callable[[Any], Any]


def _converter(annotation: Any) -> Converter | None:
    """How to build a field's value from its decoded Avro value (None: take it as it is)."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _builder(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    inner = _converter(args[0]) if args else None
    if inner is None:
        return None
    if typing.get_origin(annotation) is list:
        return lambda values: [inner(v) for v in values]
    return lambda value: None if value is None else inner(value)  # Optional[record]


_BUILDERS: dict[type, Converter] = {}


def _builder(model: type) -> Converter:
    """A function from a decoded record (a fresh dict it may change) to `model`.

    It fills the instance's __dict__ rather than calling __init__: the codec has checked the
    values against the schema and the contract test proves the model's fields are the
    schema's, so __init__ (one frozen setattr per field) would re-check what is proven at
    ten times the cost (bench/events_decode.py).
    """
    if model in _BUILDERS:
        return _BUILDERS[model]
    hints = typing.get_type_hints(model)
    nested = [(f.name, c) for f in dataclasses.fields(model) if f.name != "record"
              if (c := _converter(hints[f.name])) is not None]
    new = object.__new__

    def build(values: dict[str, Any]) -> Any:
        for name, convert in nested:
            values[name] = convert(values[name])
        instance: Any = new(model)
        instance.__dict__.update(values)
        return instance

    _BUILDERS[model] = build
    return build


def decode_event(record: InboundRecord) -> ConsumedEvent:
    """Decode `record` with its topic's contract into the topic's model (raises
    avro.UndecodableMessage for bytes that are not a record of this topic)."""
    values = avro.decode(record.topic, record.value)
    values["record"] = record
    return cast(ConsumedEvent, _builder(MODELS[record.topic])(values))


@dataclass
class DecodedEvents:
    """A batch split into the events that decoded and dead letters for the records that did not."""

    events: list[ConsumedEvent]
    dead_letters: list[Outgoing]


def decode_events(service: str, records: Sequence[InboundRecord]) -> DecodedEvents:
    """Decode each record into its topic's model; undecodable ones become dead letters (with
    the codec's reason code: empty_value, not_avro, unknown_schema, corrupt_avro, ...)."""
    decoded: list[ConsumedEvent] = []
    dead: list[Outgoing] = []
    for record in records:
        try:
            decoded.append(decode_event(record))
        except avro.UndecodableMessage as exc:
            dead.append(dead_letter(service, record, exc.reason_code, exc.detail))
    return DecodedEvents(decoded, dead)


def of_type(events: Sequence[ConsumedEvent], model: type[E]) -> list[E]:
    """The events of one model, in batch order (for services that read several topics)."""
    return [e for e in events if isinstance(e, model)]

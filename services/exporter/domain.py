"""Pure handoff domain: which cards are execution-ready, the Lead Card Batch v1 document,
its canonical payload and checksum, deterministic batch ids, batching and the API signature.

Canonical payload: the batch's `cards` array serialized as UTF-8 JSON with keys sorted,
no whitespace, non-ASCII characters as themselves, every field present (null included)
and numbers in their shortest round-trip form (a double keeps its fraction: 1.0). The
checksum is the lowercase hex SHA-256 of those bytes; any consumer can recompute it from
the JSON file, the API body or the decoded Avro record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sxp_common.batch_checksum import canonical_payload, checksum_of, json_bytes

SCHEMA_VERSION = "v1"
TRANSPORTS: tuple[str, ...] = ("file", "api", "queue")
READY_READINESS: tuple[str, ...] = ("LABELED", "ENRICHED")
IN_FLIGHT = "REQUESTED"
ENRICHED = "ENRICHED"
LABEL_DIMENSIONS: tuple[str, ...] = ("persona", "tribe", "industry", "execution_label")
MAX_BATCH_CARDS = 1000
FILE_PREFIX = "exports/lead-batches/"
SIGNATURE_PREFIX = "sha256="
BATCH_NAMESPACE = uuid.UUID("0d7f3c2e-9b1a-4c55-8e0f-4b1e5a7c9d31")

CONTACT_FIELDS: tuple[str, ...] = (
    "full_name", "title", "email", "email_status", "phone", "phone_type", "do_not_call",
    "linkedin_url", "city", "state", "country",
)
BUSINESS_FIELDS: tuple[str, ...] = ("name", "domain", "industry", "phone")


@dataclass(frozen=True)
class AudienceTag:
    """The audience a handoff is for: what its batches carry (Lead Card Batch r3)."""

    audience_id: str
    criteria_hash: str


@dataclass(frozen=True)
class Producer:
    """Who built a batch: the exporter service or the CLI, and which instance."""

    name: str
    instance: str


@dataclass(frozen=True)
class LeadBatch:
    """One Lead Card Batch v1 for one transport."""

    batch_id: str
    transport: str
    created_at: datetime
    producer: Producer
    cards: tuple[dict[str, Any], ...]
    checksum: str
    # r3: the audience the batch hands off and its criteria hash (null for every other batch).
    audience_id: str | None = None
    criteria_hash: str | None = None

    @property
    def count(self) -> int:
        """How many cards the batch carries."""
        return len(self.cards)

    @property
    def card_ids(self) -> list[str]:
        """The lead card ids, in batch order."""
        return [card["lead_card_id"] for card in self.cards]

    def canonical_payload(self) -> bytes:
        """The bytes the checksum covers."""
        return canonical_payload(self.cards)

    def document(self) -> dict[str, Any]:
        """The batch as JSON values (file and API form)."""
        return {
            "batch_id": self.batch_id,
            "schema_version": SCHEMA_VERSION,
            "created_at": iso_millis(self.created_at),
            "producer": {"name": self.producer.name, "instance": self.producer.instance},
            "count": self.count,
            "checksum": self.checksum,
            "cards": [dict(card) for card in self.cards],
            **self.audience_fields(),
        }

    def audience_tag(self) -> AudienceTag | None:
        """The audience the batch is for, if any."""
        if self.audience_id is None:
            return None
        return AudienceTag(self.audience_id, self.criteria_hash or "")

    def audience_fields(self) -> dict[str, str | None]:
        """audience_id and criteria_hash (r3): an audience's, or null for any other batch."""
        return {"audience_id": self.audience_id, "criteria_hash": self.criteria_hash}

    def body(self) -> bytes:
        """The JSON document as sent: UTF-8, sorted keys, no whitespace."""
        return json_bytes(self.document())

    def avro_record(self) -> dict[str, Any]:
        """The batch as an sxp.lead-batch.v1 record (created_at as a datetime)."""
        return {**self.document(), "created_at": self.created_at}

    def file_key(self) -> str:
        """Where the file transport puts it, in the bucket or under the export folder."""
        return file_key(self.batch_id)


@dataclass(frozen=True)
class Refusal:
    """A batch the contract refused, and why (paths and rules only, never values)."""

    batch: LeadBatch
    errors: tuple[str, ...]




def is_execution_ready(readiness: str | None, enrichment_status: str | None) -> bool:
    """LABELED or ENRICHED, and not waiting for an enrichment in flight."""
    return readiness in READY_READINESS and enrichment_status != IN_FLIGHT


def iso_millis(value: datetime | None) -> str | None:
    """RFC 3339 UTC with milliseconds and Z, e.g. 2026-11-01T12:00:00.000Z."""
    if value is None:
        return None
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def truncate_millis(value: datetime) -> datetime:
    """The same instant at millisecond precision in UTC (what Avro timestamp-millis keeps)."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def parse_iso_millis(text: str) -> datetime:
    """Inverse of iso_millis."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _label(row: Mapping[str, Any], dimension: str, evidence: Mapping[str, Any]) -> dict | None:
    label_id = row.get(dimension)
    if label_id is None:
        return None
    confidence = row.get(f"{dimension}_confidence")
    return {
        "id": str(label_id),
        "confidence": round(float(confidence if confidence is not None else 0.0), 4),
        "evidence": [str(e) for e in evidence.get(dimension) or []],
    }


def _contact(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row.get("readiness") != ENRICHED or row.get("contact_contact_id") is None:
        return None
    contact: dict[str, Any] = {"contact_id": str(row["contact_contact_id"])}
    for name in CONTACT_FIELDS:
        value = row.get(f"contact_{name}")
        contact[name] = value if name == "do_not_call" else _text(value)
    return contact


def _business(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row.get("readiness") != ENRICHED or row.get("business_business_id") is None:
        return None
    business: dict[str, Any] = {"business_id": str(row["business_business_id"])}
    business.update({name: _text(row.get(f"business_{name}")) for name in BUSINESS_FIELDS})
    return business


def card_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One batch card from a lead_cards row joined with its contact_*/business_* columns."""
    evidence = row.get("label_evidence") or {}
    if isinstance(evidence, str):
        evidence = json.loads(evidence)
    enriched = row.get("readiness") == ENRICHED
    return {
        "lead_card_id": str(row["lead_card_id"]),
        "platform": row["platform"],
        "username": row["username"],
        "readiness": row["readiness"],
        "enrichment_status": row["enrichment_status"],
        "audience_pool": row["audience_pool"],
        "base_confidence": round(float(row["base_confidence"]), 4),
        "labels": {
            "taxonomy_version": row.get("taxonomy_version") or "v1",
            **{d: _label(row, d, evidence) for d in LABEL_DIMENSIONS},
        },
        "labeled_at": iso_millis(row.get("labeled_at")),
        "lineage": {
            "profile_id": str(row["profile_id"]),
            "profile_version": int(row["profile_version"]),
            "content_hash": row["content_hash"],
            "job_id": row["job_id"],
            # The card's own links to Tier 2: the contract checks the joined rows match them.
            "contact_id": _text(row.get("contact_id")) if enriched else None,
            "business_id": _text(row.get("business_id")) if enriched else None,
        },
        "contact": _contact(row),
        "business": _business(row),
        "revision": int(row.get("revision") or 1),
    }


def batch_id_for(transport: str, card_ids: Iterable[str]) -> str:
    """UUIDv5 of the transport and the sorted card keys: a retry rebuilds the same id."""
    return str(uuid.uuid5(BATCH_NAMESPACE, transport + ":" + ",".join(sorted(card_ids))))


def card_key(card: Mapping[str, Any]) -> str:
    """What a batch id is made of: the card id, with its revision past the first (so the ids
    of batches written before revisions existed do not change, and a card sent again at a
    new revision goes out in a batch with a new id)."""
    revision = int(card.get("revision") or 1)
    return card["lead_card_id"] if revision <= 1 else f"{card['lead_card_id']}@{revision}"


def file_key(batch_id: str) -> str:
    """exports/lead-batches/{batch_id}.json"""
    return f"{FILE_PREFIX}{batch_id}.json"


def build_batch(
    transport: str, cards: Sequence[Mapping[str, Any]], producer: Producer, now: datetime,
    audience: AudienceTag | None = None,
) -> LeadBatch:
    """One batch of these cards, ordered by lead card id, with its id and checksum (and, for
    an audience's handoff, its id and criteria hash)."""
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")
    ordered = tuple(sorted((dict(c) for c in cards), key=lambda c: c["lead_card_id"]))
    return LeadBatch(
        batch_id=batch_id_for(transport, (card_key(c) for c in ordered)),
        transport=transport,
        created_at=truncate_millis(now),
        producer=producer,
        cards=ordered,
        checksum=checksum_of(ordered),
        audience_id=audience.audience_id if audience else None,
        criteria_hash=audience.criteria_hash if audience else None,
    )


def plan_batches(
    transport: str, cards: Sequence[Mapping[str, Any]], producer: Producer, now: datetime,
    size: int, audience: AudienceTag | None = None,
) -> list[LeadBatch]:
    """Cut cards (ordered by id) into batches of at most `size`."""
    if not 1 <= size <= MAX_BATCH_CARDS:
        raise ValueError(f"batch size must be 1..{MAX_BATCH_CARDS}, got {size}")
    ordered = sorted(cards, key=lambda c: c["lead_card_id"])
    return [build_batch(transport, ordered[i:i + size], producer, now, audience)
            for i in range(0, len(ordered), size)]


def screen_batches(
    batches: Sequence[LeadBatch],
    errors_of: Callable[[LeadBatch], list[str]],
    size: int,
) -> tuple[list[LeadBatch], list[Refusal]]:
    """Keep batches the contract accepts; refuse the others whole, then re-batch their good
    cards."""
    # Each card of a refused batch is checked alone: cards that pass go out in new batches
    # (new ids); cards that fail stay unclaimed, so they go out once repaired.
    accepted: list[LeadBatch] = []
    refused: list[Refusal] = []
    for batch in batches:
        errors = errors_of(batch)
        if not errors:
            accepted.append(batch)
            continue
        refused.append(Refusal(batch, tuple(errors)))
        alone = [build_batch(batch.transport, [c], batch.producer, batch.created_at,
                             batch.audience_tag())
                 for c in batch.cards]
        good = [b.cards[0] for b in alone if not errors_of(b)]
        if good and len(good) < batch.count:
            rebuilt = plan_batches(batch.transport, good, batch.producer, batch.created_at, size)
            accepted += [b for b in rebuilt if not errors_of(b)]
    return accepted, refused


def batch_from_document(transport: str, document: Mapping[str, Any]) -> LeadBatch:
    """A stored or received JSON document back as a LeadBatch (checksum kept as written)."""
    producer = document["producer"]
    return LeadBatch(
        batch_id=document["batch_id"],
        transport=transport,
        created_at=parse_iso_millis(document["created_at"]),
        producer=Producer(producer["name"], producer["instance"]),
        cards=tuple(dict(card) for card in document["cards"]),
        checksum=document["checksum"],
        audience_id=document.get("audience_id"),
        criteria_hash=document.get("criteria_hash"),
    )


def changed_card_ids(topic: str, record: Mapping[str, Any]) -> list[str]:
    """Lead cards a consumed record says may have become ready."""
    if "results" in record:  # sxp.enrichment.completed.v1
        return [r["lead_card_id"] for r in record["results"]]
    if "lead_card_id" in record:  # sxp.leadcards.labeled.v1
        return [record["lead_card_id"]]
    raise ValueError(f"no lead card ids in a record of {topic}")


def sign(secret: str, body: bytes) -> str:
    """The X-SXP-Signature header value: sha256=<hex HMAC-SHA256 of the body>."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether the header is the body's signature under the secret (constant time)."""
    return bool(header) and hmac.compare_digest(sign(secret, body), str(header))


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

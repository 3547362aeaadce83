"""The one Avro codec: single-object encoding, schemas from `contracts/`.

Every record on every topic is Avro's single-object encoding (spec 1.8+):
two marker bytes C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint of
the writer schema, then the binary body. A reader needs no registry: it finds
the writer schema by fingerprint among the revisions in `contracts/` and
resolves it to the topic's current schema, so old records stay readable.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

MAGIC = b"\xc3\x01"
HEADER_LEN = 10


class UndecodableMessage(ValueError):
    """Raised when bytes on a topic are not a record this project can read."""

    def __init__(self, reason_code: str, detail: str) -> None:
        super().__init__(f"{reason_code}: {detail}")
        self.reason_code = reason_code
        self.detail = detail


def contracts_dir() -> Path:
    """The folder holding the Avro schemas (SXP_CONTRACTS_DIR, else the repo's contracts/)."""
    override = os.environ.get("SXP_CONTRACTS_DIR")
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "contracts").is_dir() and (parent / "pyproject.toml").exists():
            return parent / "contracts"
    raise FileNotFoundError("contracts/ not found; set SXP_CONTRACTS_DIR")


@dataclass(frozen=True)
class TopicSchema:
    """The current schema of a topic and every earlier revision, by fingerprint."""

    topic: str
    current: dict[str, Any]
    current_fingerprint: bytes
    writers: dict[bytes, dict[str, Any]]
    # Array fields with a "maxItems" attribute: Avro itself cannot bound an array, so
    # the codec enforces it on both sides (e.g. 250 cards per enrichment batch).
    max_items: tuple[tuple[str, int], ...] = ()


def schema_fingerprint(raw_schema: dict[str, Any]) -> bytes:
    """CRC-64-AVRO fingerprint of a schema's parsing canonical form, as 8 LE bytes."""
    # fastavro's hex already spells the little-endian bytes (as Java prints them); used as
    # is, the header matches what Java's BinaryMessageEncoder writes and its decoder reads.
    canonical = to_parsing_canonical_form(raw_schema)
    return bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


def _load(path: Path) -> tuple[dict[str, Any], bytes]:
    raw = json.loads(path.read_text())
    parsed = cast(dict[str, Any], parse_schema(raw))  # a named record schema is a dict
    return parsed, schema_fingerprint(raw)


@cache
def topic_schema(topic: str) -> TopicSchema:
    """Load `contracts/<topic>.avsc` and its revisions under `contracts/revisions/<topic>/`."""
    root = contracts_dir()
    path = root / f"{topic}.avsc"
    if not path.exists():
        raise KeyError(f"no contract for topic {topic!r} in {root}")
    current, current_fp = _load(path)
    limits = tuple(
        (f["name"], int(f["maxItems"]))
        for f in json.loads(path.read_text()).get("fields", [])
        if "maxItems" in f
    )
    writers = {current_fp: current}
    revisions = root / "revisions" / topic
    if revisions.is_dir():
        for old in sorted(revisions.glob("*.avsc")):
            schema, fp = _load(old)
            writers.setdefault(fp, schema)
    return TopicSchema(topic, current, current_fp, writers, limits)


def check_limits(schema: TopicSchema, record: dict[str, Any]) -> str | None:
    """The first maxItems constraint the record breaks, as one line (None when it holds)."""
    for name, limit in schema.max_items:
        size = len(record.get(name) or ())
        if size > limit:
            return f"{schema.topic}: {name} has {size} items, at most {limit} allowed"
    return None


def encode(topic: str, record: dict[str, Any]) -> bytes:
    """Encode a record with the topic's current schema (raises ValueError if it does not fit)."""
    schema = topic_schema(topic)
    broken = check_limits(schema, record)
    if broken:
        raise ValueError(broken)
    buffer = io.BytesIO()
    buffer.write(MAGIC)
    buffer.write(schema.current_fingerprint)
    schemaless_writer(buffer, schema.current, record)
    return buffer.getvalue()


def decode(topic: str, data: bytes | None) -> dict[str, Any]:
    """Decode single-object-encoded bytes into the topic's current schema."""
    if not data:
        raise UndecodableMessage("empty_value", "the message has no value")
    if len(data) < HEADER_LEN or data[:2] != MAGIC:
        raise UndecodableMessage("not_avro", "missing the Avro single-object marker")
    schema = topic_schema(topic)
    writer = schema.writers.get(data[2:HEADER_LEN])
    if writer is None:
        raise UndecodableMessage("unknown_schema", f"writer fingerprint {data[2:10].hex()} unknown")
    try:
        record: dict[str, Any] = schemaless_reader(  # type: ignore[assignment] # a record
            io.BytesIO(data[HEADER_LEN:]), writer, schema.current)
    except Exception as exc:  # fastavro raises several types for corrupt bodies
        raise UndecodableMessage("corrupt_avro", type(exc).__name__) from exc
    broken = check_limits(schema, record)
    if broken:
        raise UndecodableMessage("constraint_violation", broken)
    return record

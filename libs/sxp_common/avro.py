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
from datetime import UTC, datetime
from functools import cache, lru_cache
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
    # (name, kind, nullable) per field when the schema is flat (see flat_plan): encode()
    # writes such records itself, byte for byte as fastavro would, in a third of the time.
    flat: tuple[tuple[str, str, bool], ...] | None = None


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
    return TopicSchema(topic, current, current_fp, writers, limits,
                       flat_plan(json.loads(path.read_text())))


_FLAT_KINDS = ("string", "long", "int", "boolean")
_INT_LIMITS = {"int": 1 << 31, "long": 1 << 63, "timestamp-millis": 1 << 63}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def flat_plan(raw_schema: dict[str, Any]) -> tuple[tuple[str, str, bool], ...] | None:
    """(name, kind, nullable) per field when every field of the record is a string, int,
    long, boolean or timestamp-millis long, alone or as ["null", that]; None for any other
    schema (fastavro encodes those)."""
    if raw_schema.get("type") != "record":
        return None
    plan = []
    for field_ in raw_schema["fields"]:
        kind, nullable = field_["type"], False
        if isinstance(kind, list):
            if len(kind) != 2 or kind[0] != "null":
                return None
            kind, nullable = kind[1], True
        if kind == {"type": "long", "logicalType": "timestamp-millis"}:
            kind = "timestamp-millis"
        if kind not in _FLAT_KINDS and kind != "timestamp-millis":
            return None
        plan.append((field_["name"], kind, nullable))
    return tuple(plan)


def _varint(number: int, out: bytearray) -> None:
    """Avro's zig-zag variable-length encoding of an int or long."""
    number = (number << 1) ^ (number >> 63)
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)


def encode_flat(plan: tuple[tuple[str, str, bool], ...], record: dict[str, Any]) -> bytes | None:
    """The Avro body of `record` by a flat plan; None when a value is not exactly of its
    field's type (the caller lets fastavro encode it, or say why it cannot)."""
    out = bytearray()
    append, get = out.append, record.get
    for name, kind, nullable in plan:
        value = get(name)
        if value is None:
            if not nullable:
                return None
            append(0)
            continue
        if nullable:
            append(2)  # union branch 1, zig-zag encoded
        if kind == "string":
            if type(value) is not str:
                return None
            try:
                data = value.encode()
            except UnicodeEncodeError:
                return None
            size = len(data)
            if size < 64:
                append(size << 1)  # one byte: zig-zag of a small non-negative length
            else:
                _varint(size, out)
            out += data
        elif kind == "boolean":
            if type(value) is not bool:
                return None
            append(1 if value else 0)
        else:
            number = _millis(value) if kind == "timestamp-millis" else value
            limit = _INT_LIMITS[kind]
            if type(number) is not int or not -limit <= number < limit:
                return None
            _varint(number, out)
    return bytes(out)


@lru_cache(maxsize=64)
def _aware_millis(value: datetime) -> int:
    delta = value - _EPOCH  # as fastavro's prepare_timestamp_millis
    return (delta.days * 86400 + delta.seconds) * 1000 + int(delta.microseconds / 1000)


def _millis(value: Any) -> Any:
    """An aware datetime as epoch milliseconds (a job stamps every record with one time, so
    the last few are cached); anything else as it is, for the caller's type check."""
    if type(value) is datetime and value.tzinfo:
        return _aware_millis(value)
    return value


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
    if schema.flat is not None and isinstance(record, dict):
        body = encode_flat(schema.flat, record)
        if body is not None:
            return MAGIC + schema.current_fingerprint + body
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

"""Each typed event model (sxp_common.events) is its topic's Avro schema, field for field.

A schema change the model misses (a field added, renamed, made optional, retyped) fails
here, and so does a revision whose golden sample no longer builds the model.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import types
import typing
from datetime import datetime
from typing import Any

import pytest

from sxp_common import avro, events
from sxp_common.kafka import InboundRecord
from sxp_common.topics import SUBSCRIPTIONS
from tests.contract.test_contracts import revisions

pytestmark = pytest.mark.contract
PRIMITIVES: dict[str, type] = {"string": str, "int": int, "long": int, "double": float,
                               "float": float, "boolean": bool, "bytes": bytes}


def expected_type(avro_type: Any, named: dict[str, Any]) -> Any:
    """The Python annotation an Avro type decodes to (records: their schema, by name)."""
    if isinstance(avro_type, list):
        rest = [t for t in avro_type if t != "null"]
        assert len(rest) == 1, f"unions other than [null, X] are not modelled: {avro_type}"
        inner = expected_type(rest[0], named)
        return ("optional", inner) if "null" in avro_type else inner
    if isinstance(avro_type, str):
        return PRIMITIVES.get(avro_type) or ("record", named[avro_type])
    kind = avro_type["type"]
    if avro_type.get("logicalType") == "timestamp-millis":
        return datetime
    if kind == "record":
        named[avro_type["name"]] = avro_type
        return ("record", avro_type)
    if kind == "enum":
        return str
    if kind == "array":
        return ("list", expected_type(avro_type["items"], named))
    if kind == "map":
        return ("map", expected_type(avro_type["values"], named))
    return expected_type(kind, named)


def mismatches(model: type, schema: dict[str, Any], named: dict[str, Any],
               where: str = "") -> list[str]:
    """Where `model` and the record schema differ: field names and order, types, optionality."""
    fields = [f.name for f in dataclasses.fields(model) if f.name != "record"]
    wanted = [f["name"] for f in schema["fields"]]
    if fields != wanted:
        return [f"{where}{model.__name__}: fields {fields} != schema {wanted}"]
    hints = typing.get_type_hints(model)
    found: list[str] = []
    for field in schema["fields"]:
        found += compare(hints[field["name"]], expected_type(field["type"], named),
                         named, f"{where}{model.__name__}.{field['name']}")
    return found


def compare(annotation: Any, expected: Any, named: dict[str, Any], where: str) -> list[str]:
    """The differences between one annotation and the type the schema says."""
    args = typing.get_args(annotation)
    if isinstance(expected, tuple) and expected[0] == "optional":
        if type(None) not in args:
            return [f"{where}: the schema allows null, the model does not"]
        return compare(next(a for a in args if a is not type(None)), expected[1], named, where)
    if isinstance(annotation, types.UnionType) and type(None) in args:
        return [f"{where}: the model allows None, the schema does not"]
    if isinstance(expected, tuple) and expected[0] == "record":
        if not dataclasses.is_dataclass(annotation):
            return [f"{where}: {annotation} is not a model of record {expected[1]['name']}"]
        return mismatches(annotation, expected[1], named, f"{where} -> ")  # type: ignore[arg-type]
    if isinstance(expected, tuple):
        origin = {"list": list, "map": dict}[expected[0]]
        if typing.get_origin(annotation) is not origin:
            return [f"{where}: {annotation} is not a {origin.__name__}"]
        return compare(args[-1], expected[1], named, where)
    return [] if annotation is expected else [f"{where}: {annotation} != {expected}"]


def current_schema(topic: str) -> dict[str, Any]:
    return dict(json.loads((avro.contracts_dir() / f"{topic}.avsc").read_text()))


def test_every_consumed_topic_has_a_model() -> None:
    consumed = {topic for topics in SUBSCRIPTIONS.values() for topic in topics}
    assert consumed == set(events.MODELS)


@pytest.mark.parametrize("topic", sorted(events.MODELS))
def test_the_model_has_the_fields_types_and_optionality_of_the_schema(topic: str) -> None:
    assert mismatches(events.MODELS[topic], current_schema(topic), {}) == []


@pytest.mark.parametrize("topic", sorted(events.MODELS))
def test_every_revision_the_reader_accepts_builds_the_model(topic: str) -> None:
    model = events.MODELS[topic]
    names = {f.name for f in dataclasses.fields(model)}
    for revision in revisions(topic):
        written = json.loads(revision.read_text())
        assert {f["name"] for f in written["fields"]} <= names, revision.name
        golden = revision.with_suffix(".avro").read_bytes()
        record = InboundRecord(topic, 3, 42, b"k", golden, (("traceparent", b"00-x"),))
        event = events.decode_event(record)
        assert type(event) is model and event.record is record
        assert event.as_record() == avro.decode(topic, golden), revision.name


def test_a_schema_change_the_model_misses_is_reported() -> None:
    """The check above can fail: a field added, made optional or retyped in the schema."""
    schema = current_schema("sxp.enrichment.commands.v1")
    added = copy.deepcopy(schema)
    added["fields"].append({"name": "priority", "type": "int", "default": 0})
    widened = copy.deepcopy(schema)
    widened["fields"][0]["type"] = ["null", "string"]
    retyped = copy.deepcopy(schema)
    retyped["fields"][5]["type"]["fields"][0]["type"] = "long"  # requested_by.kind
    for changed in (added, widened, retyped):
        assert mismatches(events.RequestEnrichment, changed, {}), changed


def test_an_undecodable_record_becomes_a_dead_letter_with_the_codec_reason() -> None:
    records = [InboundRecord("sxp.audit.v1", 0, 1, b"k", b""),
               InboundRecord("sxp.audit.v1", 0, 2, b"k", b"\x00garbage"),
               InboundRecord("sxp.audit.v1", 0, 3, b"k", b"\xc3\x01" + b"\x00" * 8 + b"x")]
    decoded = events.decode_events("audit_projector", records)
    assert decoded.events == []
    reasons = [avro.decode("sxp.deadletter.v1", d.value)["reason_code"]
               for d in decoded.dead_letters]
    assert reasons == ["empty_value", "not_avro", "unknown_schema"]
    assert [d.key for d in decoded.dead_letters] == [f"sxp.audit.v1:0:{i}" for i in (1, 2, 3)]

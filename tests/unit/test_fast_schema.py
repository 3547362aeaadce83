"""The exporter's compiled JSON Schema check (fastjsonschema) against jsonschema itself.

The compiled check only short-cuts a document it accepts, so the property that matters is:
whatever it accepts, jsonschema accepts too. Mutations of real batch documents (every leaf
replaced by values of other JSON types, strings broken against their patterns, keys
dropped) are run through both; they must agree in both directions for JSON values."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from services.exporter.domain import build_batch, card_from_row
from services.exporter.exporting import load_contract
from services.exporter.validation import (
    _validator,
    fast_compilable,
    fast_valid,
    inline_refs,
    schema_errors,
)
from tests.unit.test_handoff_domain import NOW, PRODUCER, enriched_row, row

CONTRACT = load_contract()
SCHEMA_JSON = json.dumps(CONTRACT.json_schema, sort_keys=True)
ODD_VALUES: list[Any] = [None, True, False, 0, 1, -1, 1.0, 1.5, 2, "", "x", "a\n", " ",
                         "user@example.com\n", "a\x1cb@c.de", "ab" * 32 + "\n", [], [1], {},
                         {"id": "founder"}, "2026-11-01T12:00:00.123Z\n", "LABELED", "ENRICHED"]


def _document() -> dict[str, Any]:
    rows = [row(1), enriched_row(2), row(3, persona=None, persona_confidence=None)]
    return build_batch("file", [card_from_row(r) for r in rows], PRODUCER, NOW).document()


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(document)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return changed


def _drop(document: Any, path: tuple[Any, ...]) -> Any:
    changed = copy.deepcopy(document)
    node = changed
    for step in path[:-1]:
        node = node[step]
    if isinstance(node, dict):
        del node[path[-1]]
    return changed


def _mutations(document: dict[str, Any]) -> Iterator[Any]:
    for path in _paths(document):
        for value in ODD_VALUES:
            yield _set(document, path, value)
        if path and isinstance(path[-1], str):
            yield _drop(document, path)


def _jsonschema_accepts(value: Any) -> bool:
    return not any(True for _ in _validator(SCHEMA_JSON).iter_errors(value))


def test_the_lead_batch_contract_is_compiled() -> None:
    schema = CONTRACT.json_schema
    body = inline_refs(schema, schema["$defs"])
    assert fast_compilable({k: v for k, v in body.items() if k not in ("$schema", "$defs")})
    assert fast_valid(_document(), SCHEMA_JSON)


def test_the_compiled_check_and_jsonschema_agree_on_every_mutation() -> None:
    document = _document()
    checked = disagreements = 0
    for mutated in _mutations(document):
        checked += 1
        fast, full = fast_valid(mutated, SCHEMA_JSON), _jsonschema_accepts(mutated)
        assert not (fast and not full), "the compiled check accepted what jsonschema refuses"
        disagreements += fast != full
    assert checked > 3000
    # Refusing more is safe (jsonschema then decides) but should stay rare: "$" is the end of
    # the string in the compiled patterns, before a trailing newline in jsonschema's.
    assert disagreements <= checked // 50


def test_the_errors_are_jsonschemas_whether_or_not_the_compiled_check_ran() -> None:
    document = _document()
    broken = _set(document, ("cards", 0, "readiness"), "STRUCTURED")
    assert schema_errors(document, CONTRACT.json_schema) == []
    assert schema_errors(broken, CONTRACT.json_schema) == [
        "$.cards[0].readiness: must be one of LABELED, ENRICHED"]


def test_a_schema_with_keywords_outside_the_shared_set_is_not_compiled() -> None:
    assert not fast_compilable({"type": "object", "additionalProperties": False})
    assert not fast_compilable({"properties": {"k": {"const": 1}}})
    assert not fast_compilable({"type": "array", "uniqueItems": True})
    assert not fast_compilable({"anyOf": [{"$ref": "#/$defs/a"}]})
    assert fast_compilable({"type": ["string", "null"], "minLength": 1, "pattern": "^a"})
    # Not compiled, so jsonschema alone decides: True is not the const 1 there.
    schema = {"properties": {"k": {"const": 1}}}
    assert not fast_valid({"k": True}, json.dumps(schema))
    assert schema_errors({"k": True}, schema) == ["$.k: must be 1"]

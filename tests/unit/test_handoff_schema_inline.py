"""The exporter validates Lead Card Batch v1 against the JSON Schema with its $refs inlined:
the same errors, at the same paths, from the same rules, as the schema as written."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from services.exporter.domain import build_batch, card_from_row
from services.exporter.validation import inline_refs
from tests.unit.test_handoff_domain import CONTRACT, NOW, PRODUCER, enriched_row, row

pytestmark = pytest.mark.unit


def raw_errors(validator: Draft202012Validator, document: Any) -> list[tuple[str, str, str]]:
    """Every error as (instance path, rule, message), sorted."""
    return sorted((e.json_path, str(e.validator), e.message)
                  for e in validator.iter_errors(document))


def broken_documents() -> list[Any]:
    """A good batch, then copies of it each broken in one more way."""
    good = build_batch("file", [card_from_row(r) for r in (row(1), enriched_row(2))], PRODUCER,
                       NOW).document()
    documents: list[Any] = [good, [], {}]
    for path, value in [
        (("cards", 0, "labels", "persona", "confidence"), 7.5),
        (("cards", 1, "contact", "email"), "not-an-email"),
        (("cards", 0, "lead_card_id"), "NOT-A-UUID"),
        (("batch_id",), 12),
        (("cards", 1, "business"), "a string"),
        (("cards", 0, "readiness"), "SOMETHING"),
        (("created_at",), "2026-11-01"),
    ]:
        document = copy.deepcopy(good)
        target = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        documents.append(document)
    missing = copy.deepcopy(good)
    del missing["cards"][0]["lineage"]
    documents.append(missing)
    return documents


def test_the_inlined_schema_finds_exactly_the_errors_of_the_schema_as_written() -> None:
    schema = json.loads(json.dumps(CONTRACT.json_schema))
    written = Draft202012Validator(schema)
    inlined = Draft202012Validator(inline_refs(schema, schema["$defs"]))
    assert "$ref" not in json.dumps(inlined.schema["properties"])
    for document in broken_documents():
        assert raw_errors(inlined, document) == raw_errors(written, document)
    assert len({len(raw_errors(written, d)) for d in broken_documents()}) > 1


def test_a_recursive_ref_stays_a_ref() -> None:
    defs = {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}
    inlined = inline_refs({"$ref": "#/$defs/node"}, defs)
    assert inlined["properties"]["next"] == {"$ref": "#/$defs/node"}

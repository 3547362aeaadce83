"""Validate a Lead Card Batch v1 against its contract before it leaves (pure, no I/O).

Three checks, all of which must pass:
1. the JSON Schema (contracts/lead-batch.v1.schema.json), validated by the jsonschema
   package (draft 2020-12, every keyword; errors reworded as `path: rule`); a schema made
   only of keywords whose meaning no draft changed is first tried by a validator compiled
   to Python (fastjsonschema, about 4x faster), and only a document it refuses goes to
   jsonschema for the errors, so jsonschema's verdict is the one that counts;
2. the Avro schema (contracts/lead-batch.v1.avsc): the record encodes, and decoding it
   gives back exactly the document, so JSON and Avro consumers see the same batch;
3. the rules neither schema can say: count = number of cards, the checksum matches the
   canonical payload, card ids are unique, the lineage's Tier 2 ids are those of the
   contact and business the card carries (a missing Tier 2 row is caught here).

Errors name a path and a rule, never a value: a batch may carry contact data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import fastjsonschema
from fastavro import schemaless_reader, schemaless_writer
from jsonschema import Draft202012Validator, ValidationError

from services.exporter.domain import LeadBatch, checksum_of

MAX_ERRORS = 20


@dataclass(frozen=True)
class Contract:
    """The two schema files of Lead Card Batch v1, loaded (Avro parsed with fastavro)."""

    json_schema: Mapping[str, Any]
    avro_schema: Any


@lru_cache(maxsize=32)
def _validator(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(inline_refs(schema, schema.get("$defs", {})))


# Keywords that mean the same to fastjsonschema's draft-07 code and to jsonschema's 2020-12
# for the values a JSON document holds (a const or enum of strings only: `True == 1` in the
# compiled code, not in jsonschema). A schema with any other keyword is not compiled.
FAST_KEYWORDS = frozenset({
    "type", "properties", "required", "minLength", "maxLength", "pattern", "minimum",
    "maximum", "const", "enum", "items", "minItems", "maxItems", "anyOf", "if", "then", "else",
    "description", "title", "$id", "$comment"})
FAST_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})


def fast_compilable(node: Any) -> bool:
    """Whether a schema (its $refs inlined) uses only FAST_KEYWORDS, in their plain forms."""
    if isinstance(node, bool):
        return False
    if not isinstance(node, dict):
        return False
    for key, value in node.items():
        if key not in FAST_KEYWORDS:
            return False
        if key == "properties":
            if not isinstance(value, dict) or not all(map(fast_compilable, value.values())):
                return False
        elif key in ("items", "if", "then", "else"):
            if not fast_compilable(value):
                return False
        elif key == "anyOf":
            if not isinstance(value, list) or not all(map(fast_compilable, value)):
                return False
        elif key == "const" and not isinstance(value, str):
            return False
        elif key == "enum" and not all(isinstance(v, str) for v in value):
            return False
        elif key == "type" and not set([value] if isinstance(value, str) else value) <= FAST_TYPES:
            return False
    return True


@lru_cache(maxsize=32)
def _fast_check(schema_json: str) -> Any:
    """The compiled validator of a fast-compilable schema, or None."""
    schema = json.loads(schema_json)
    inlined = inline_refs(schema, schema.get("$defs", {}))
    body = {k: v for k, v in inlined.items() if k not in ("$schema", "$defs")}
    if not fast_compilable(body):
        return None
    return fastjsonschema.compile({"$schema": "http://json-schema.org/draft-07/schema#", **body})


def fast_valid(value: Any, schema_json: str) -> bool:
    """True when the compiled validator accepts `value`; False when it refuses or there is
    none (the caller then asks jsonschema)."""
    check = _fast_check(schema_json)
    if check is None:
        return False
    try:
        check(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def inline_refs(node: Any, defs: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`node` with each `{"$ref": "#/$defs/NAME", ...}` replaced by that definition (its own
    refs inlined too), the same constraints at the same instance paths: resolving a $ref per
    card per batch was most of the exporter's time. A recursive, non-local or clashing $ref
    stays as it is."""
    if isinstance(node, list):
        return [inline_refs(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else None
    target = defs.get(name) if name and ref != name and name not in seen else None
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    if isinstance(target, dict) and not set(siblings) & set(target):
        assert name is not None
        return {**inline_refs(target, defs, (*seen, name)), **inline_refs(siblings, defs, seen)}
    return {k: inline_refs(v, defs, seen) for k, v in node.items()}


def _messages(error: ValidationError) -> list[str]:
    """The error as `path: rule` lines; never the offending value (it may be contact data)."""
    path, rule, expected = error.json_path, error.validator, error.validator_value
    if rule == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [f"{path}.{name}: required" for name in expected if name not in present]
    if rule == "type":
        allowed = expected if isinstance(expected, list) else [expected]
        return [f"{path}: must be of type {' or '.join(allowed)}"]
    wording = {
        "const": lambda: f"must be {expected!r}",
        "enum": lambda: f"must be one of {', '.join(map(str, expected))}",
        "minLength": lambda: f"shorter than {expected}",
        "pattern": lambda: "does not match the pattern",
        "minimum": lambda: f"below the minimum {expected}",
        "maximum": lambda: f"above the maximum {expected}",
        "minItems": lambda: f"fewer than {expected} items",
        "maxItems": lambda: f"more than {expected} items",
        "anyOf": lambda: "matches none of the allowed forms",
        "oneOf": lambda: "matches none or several of the allowed forms",
    }.get(str(rule), lambda: f"breaks the schema's {rule!r} rule")
    return [f"{path}: {wording()}"]


def schema_errors(value: Any, schema: Mapping[str, Any]) -> list[str]:
    """Where `value` breaks the JSON Schema `schema` (empty when it conforms), by the
    jsonschema package: every keyword of draft 2020-12 counts, none is skipped (a document
    the compiled validator accepts conforms: tests/unit/test_fast_schema.py)."""
    schema_json = json.dumps(schema, sort_keys=True)
    if fast_valid(value, schema_json):
        return []
    validator = _validator(schema_json)
    found = sorted(validator.iter_errors(value),
                   key=lambda e: (list(map(str, e.path)), e.validator))
    messages: list[str] = []
    for error in found:
        messages += [m for m in _messages(error) if m not in messages]
    return messages[:MAX_ERRORS]


def _first_difference(left: Any, right: Any, path: str) -> str | None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if key not in left or key not in right:
                return f"{path}.{key}"
            found = _first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        if len(left) != len(right):
            return path
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right and type(left) is type(right) else path


def avro_errors(batch: LeadBatch, avro_schema: Any) -> list[str]:
    """Whether the batch encodes with the Avro schema and decodes back to the same document."""
    buffer = io.BytesIO()
    try:
        schemaless_writer(buffer, avro_schema, batch.avro_record())
        buffer.seek(0)
        decoded: dict[str, Any] = schemaless_reader(  # type: ignore[assignment] # a record
            buffer, avro_schema, None)
    except Exception as exc:  # fastavro raises several types for a record that does not fit
        return [f"$: does not fit the Avro schema ({type(exc).__name__})"]
    decoded = {**decoded, "created_at": batch.document()["created_at"]}
    differs = _first_difference(batch.document(), decoded, "$")
    return [f"{differs}: not carried as is by the Avro schema"] if differs else []


def rule_errors(document: Mapping[str, Any]) -> list[str]:
    """The contract's rules that neither schema can express."""
    cards = document.get("cards")
    if not isinstance(cards, list):
        return []
    errors = []
    if document.get("count") != len(cards):
        errors.append("$.count: must equal the number of cards")
    if document.get("checksum") != checksum_of(cards):
        errors.append("$.checksum: does not match the canonical payload of cards")
    ids = [c.get("lead_card_id") for c in cards if isinstance(c, dict)]
    if len(ids) != len(set(ids)):
        errors.append("$.cards: a lead card appears twice")
    for index, card in enumerate(cards):
        lineage = card.get("lineage") if isinstance(card, dict) else None
        if not isinstance(lineage, dict):
            continue
        for part in ("contact", "business"):
            record = card.get(part)
            linked = record.get(f"{part}_id") if isinstance(record, dict) else None
            if lineage.get(f"{part}_id") != linked:
                errors.append(f"$.cards[{index}].lineage.{part}_id: must be the id of the card's "
                              f"{part}")
    return errors


def document_errors(document: Mapping[str, Any], contract: Contract) -> list[str]:
    """Where a JSON document breaks the JSON Schema or the contract's rules."""
    return (schema_errors(document, contract.json_schema) + rule_errors(document))[:MAX_ERRORS]


def contract_errors(batch: LeadBatch, contract: Contract) -> list[str]:
    """Every way the batch breaks Lead Card Batch v1 (empty: it may leave)."""
    errors = document_errors(batch.document(), contract)
    if not errors:
        errors += avro_errors(batch, contract.avro_schema)
    return errors[:MAX_ERRORS]

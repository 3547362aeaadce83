"""Validate a Lead Card Batch v1 against its contract before it leaves (pure, no I/O).

Three checks, all of which must pass:
1. the JSON Schema (contracts/lead-batch.v1.schema.json), with a small validator for the
   keywords that file uses: type, const, enum, pattern, minimum/maximum, minLength,
   minItems/maxItems, items, properties, required, $ref (local), anyOf, if/then/else;
2. the Avro schema (contracts/lead-batch.v1.avsc): the record encodes, and decoding it
   gives back exactly the document, so JSON and Avro consumers see the same batch;
3. the rules neither schema can say: count = number of cards, the checksum matches the
   canonical payload, card ids are unique, the lineage's Tier 2 ids are those of the
   contact and business the card carries (a missing Tier 2 row is caught here).

Errors name a path and a rule, never a value: a batch may carry contact data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from services.exporter.domain import LeadBatch, checksum_of

MAX_ERRORS = 20
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list, tuple), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}


@dataclass(frozen=True)
class Contract:
    """The two schema files of Lead Card Batch v1, loaded (Avro parsed with fastavro)."""

    json_schema: Mapping[str, Any]
    avro_schema: Any


@lru_cache(maxsize=256)
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression)


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[name])


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, got {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _scalar_errors(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    errors = []
    if "const" in schema and not _same(value, schema["const"]):
        errors.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        errors.append(f"{path}: must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            errors.append(f"{path}: does not match the pattern")
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: above the maximum {schema['maximum']}")
    return errors


def _container_errors(value: Any, schema: Mapping[str, Any], path: str,
                      root: Mapping[str, Any]) -> list[str]:
    errors = []
    if isinstance(value, dict):
        errors += [f"{path}.{name}: required" for name in schema.get("required", ())
                   if name not in value]
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                errors += schema_errors(value[name], sub, f"{path}.{name}", root)
    if isinstance(value, list | tuple):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                errors += schema_errors(item, schema["items"], f"{path}[{index}]", root)
                if len(errors) >= MAX_ERRORS:
                    break
    return errors


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$",
                  root: Mapping[str, Any] | None = None) -> list[str]:
    """Where `value` breaks the JSON Schema `schema` (empty when it conforms)."""
    root = schema if root is None else root
    if "$ref" in schema:
        return schema_errors(value, _resolve(root, schema["$ref"]), path, root)
    if "type" in schema:
        allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, name) for name in allowed):
            return [f"{path}: must be of type {' or '.join(allowed)}"]
    if "anyOf" in schema:
        if all(schema_errors(value, option, path, root) for option in schema["anyOf"]):
            return [f"{path}: matches none of the allowed forms"]
    errors = _scalar_errors(value, schema, path) + _container_errors(value, schema, path, root)
    if "if" in schema:
        branch = "then" if not schema_errors(value, schema["if"], path, root) else "else"
        if branch in schema:
            errors += schema_errors(value, schema[branch], path, root)
    return errors[:MAX_ERRORS]


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
        decoded = schemaless_reader(buffer, avro_schema, None)
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

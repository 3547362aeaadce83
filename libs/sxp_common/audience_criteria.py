"""Audience criteria (grammar v1): JSON parsed into typed nodes, a canonical form and its hash.

Pure: no I/O. The grammar is documented with examples in docs/audience-criteria.md.

- parse_criteria(json_value) -> Node, or CriteriaError: one line naming the place, and the
  unknown field or operator or the bad value ("criteria.all[1].followers.min: ...").
- canonical(node): a plain JSON value, the same for equivalent criteria however they are
  written (key order, duplicates, a scalar for a one-element list, nested `all` in `all`,
  `not` of `not`, a one-child `all`/`any`, terms in another case).
- criteria_hash(node): SHA-256 hex of the canonical JSON; the audience's cache keys use it.

The SQL compiler is sxp_common.audience_sql.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from sxp_common.hashing import sha256_hex
from sxp_common.taxonomy import (
    ENRICHMENT_STATUSES,
    EXECUTION_LABELS,
    FOLLOWER_TIERS,
    INDUSTRIES,
    PERSONAS,
    PLATFORMS,
    READINESS,
    TRIBES,
)

GRAMMAR_VERSION = "v1"
COMBINATORS = ("all", "any", "not")
# The languages `language` knows, by the markers of sxp_common.audience_sql.LANGUAGE_MARKERS.
LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "fr", "hi", "id", "it", "ja", "ko", "pt",
                              "ru", "zh")
# Fields whose value is one ID or a list of IDs (any of them matches); null matches a card
# whose label is not decided, for the labels that may be null.
SET_FIELDS: dict[str, tuple[str, ...]] = {
    "platform": PLATFORMS, "persona": PERSONAS, "tribe": TRIBES, "industry": INDUSTRIES,
    "execution_label": EXECUTION_LABELS, "readiness": READINESS,
    "enrichment_status": ENRICHMENT_STATUSES, "language": LANGUAGES,
}
NULLABLE_LABELS = frozenset({"persona", "tribe", "industry", "execution_label"})
TERM_FIELDS = ("bio", "location")
CONFIDENCE_LABELS = ("persona", "tribe", "industry", "execution_label")
FIELDS: tuple[str, ...] = (*SET_FIELDS, "audience_pool", "followers", "verified", *TERM_FIELDS,
                           "min_confidence")
MAX_TERMS = 100
MAX_TERM_LENGTH = 200
MAX_DEPTH = 16


class CriteriaError(ValueError):
    """Criteria that do not keep the grammar: one line naming where and what."""


@dataclass(frozen=True, slots=True)
class InSet:
    """The field's value is one of `values` (None: the label is not decided)."""

    field: str
    values: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class FollowerRange:
    """Followers between min and max, both inclusive; None leaves that side open."""

    min: int | None
    max: int | None


@dataclass(frozen=True, slots=True)
class Verified:
    """The profile's verified flag is `value`."""

    value: bool


@dataclass(frozen=True, slots=True)
class Terms:
    """Any of the terms occurs in the field's text (case-insensitive substring)."""

    field: str
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MinConfidence:
    """Every listed label is decided with at least this confidence."""

    floors: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class All:
    """Every child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not hold."""

    child: Node


Node = InSet | FollowerRange | Verified | Terms | MinConfidence | All | AnyOf | Not


def _fail(path: str, message: str) -> CriteriaError:
    return CriteriaError(f"{path}: {message}")


def _show(value: Any) -> str:
    """A bad value as JSON, cut short so the error stays one short line."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _parse_set(field: str, value: Any, path: str) -> InSet:
    allowed = SET_FIELDS[field]
    items = _as_list(value)
    if not items:
        raise _fail(path, f"{field} needs at least one value")
    out: set[str | None] = set()
    for item in items:
        if item is None and field in NULLABLE_LABELS:
            out.add(None)
        elif not isinstance(item, str) or item not in allowed:
            raise _fail(path, f"unknown {field} {_show(item)} (expected one of: "
                              f"{', '.join(allowed)})")
        else:
            out.add(item)
    return InSet(field, _sorted_values(out))


def _sorted_values(values: set[str | None]) -> tuple[str | None, ...]:
    """IDs sorted, an undecided label (None) last."""
    return (*sorted(v for v in values if v is not None), *((None,) if None in values else ()))


def _parse_pool(value: Any, path: str) -> InSet:
    items = _as_list(value)
    if not items:
        raise _fail(path, "audience_pool needs at least one value")
    for item in items:
        parts = item.split(".") if isinstance(item, str) else []
        if (len(parts) != 3 or parts[0] not in PLATFORMS
                or parts[1] not in (*TRIBES, "unassigned") or parts[2] not in FOLLOWER_TIERS):
            raise _fail(path, f"bad audience_pool {_show(item)} (expected platform."
                              "tribe-or-unassigned.tier, e.g. tiktok.fitness_wellness.mid)")
    return InSet("audience_pool", _sorted_values(set(items)))


def _count(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(path, f"bad follower count {_show(value)} (expected a whole number >= 0)")
    return value


def _parse_followers(value: Any, path: str) -> FollowerRange:
    if not isinstance(value, dict):
        raise _fail(path, f"bad followers {_show(value)} (expected {{\"min\": N, \"max\": M}})")
    unknown = sorted(set(value) - {"min", "max"})
    if unknown:
        raise _fail(path, f"unknown operator {unknown[0]!r} (expected min, max)")
    low, high = _count(value.get("min"), f"{path}.min"), _count(value.get("max"), f"{path}.max")
    if low is None and high is None:
        raise _fail(path, "followers needs min, max or both")
    if low is not None and high is not None and low > high:
        raise _fail(path, f"min {low} is above max {high}")
    return FollowerRange(low, high)


def _term(item: Any, field: str, path: str) -> str:
    if not isinstance(item, str):
        raise _fail(path, f"bad {field} term {_show(item)} (expected text)")
    term = unicodedata.normalize("NFC", " ".join(item.split())).lower()
    if not term or len(term) > MAX_TERM_LENGTH:
        raise _fail(path, f"bad {field} term {_show(item)} (expected 1 to "
                          f"{MAX_TERM_LENGTH} characters)")
    return term


def _parse_terms(field: str, value: Any, path: str) -> Terms:
    items = _as_list(value)
    if not items or len(items) > MAX_TERMS:
        raise _fail(path, f"{field} needs 1 to {MAX_TERMS} terms")
    return Terms(field, tuple(sorted({_term(item, field, path) for item in items})))


def _confidence(value: Any, path: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value)
            or not 0.0 <= value <= 1.0):
        raise _fail(path, f"bad confidence {_show(value)} (expected a number in [0, 1])")
    return float(value)


def _parse_min_confidence(value: Any, path: str) -> MinConfidence:
    if not isinstance(value, dict):  # a bare number is the execution label's floor
        return MinConfidence((("execution_label", _confidence(value, path)),))
    if not value:
        raise _fail(path, "min_confidence needs at least one label")
    floors = []
    for label, floor in value.items():
        if label not in CONFIDENCE_LABELS:
            raise _fail(path, f"unknown label {label!r} (expected one of: "
                              f"{', '.join(CONFIDENCE_LABELS)})")
        floors.append((label, _confidence(floor, f"{path}.{label}")))
    return MinConfidence(tuple(sorted(floors)))


def _parse_field(key: str, value: Any, path: str) -> Node:
    if key in SET_FIELDS:
        return _parse_set(key, value, path)
    if key == "audience_pool":
        return _parse_pool(value, path)
    if key == "followers":
        return _parse_followers(value, path)
    if key == "verified":
        if not isinstance(value, bool):
            raise _fail(path, f"bad verified {_show(value)} (expected true or false)")
        return Verified(value)
    if key in TERM_FIELDS:
        return _parse_terms(key, value, path)
    return _parse_min_confidence(value, path)


def _parse_node(value: Any, path: str, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise _fail(path, f"criteria nest deeper than {MAX_DEPTH} levels")
    if not isinstance(value, dict):
        raise _fail(path, f"expected an object such as {{\"platform\": \"tiktok\"}}, got "
                          f"{_show(value)}")
    if not value:
        raise _fail(path, "empty criteria (name at least one field)")
    parts: list[Node] = []
    for key, item in value.items():
        where = f"{path}.{key}"
        if key in ("all", "any"):
            if not isinstance(item, list) or not item:
                raise _fail(where, f"{key} needs a non-empty list of criteria")
            children = tuple(_parse_node(c, f"{where}[{i}]", depth + 1)
                             for i, c in enumerate(item))
            parts.append(All(children) if key == "all" else AnyOf(children))
        elif key == "not":
            parts.append(Not(_parse_node(item, where, depth + 1)))
        elif key in FIELDS:
            parts.append(_parse_field(key, item, where))
        else:
            raise _fail(where, f"unknown field or operator {key!r} (expected one of: "
                               f"{', '.join((*COMBINATORS, *FIELDS))})")
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def parse_criteria(value: Any) -> Node:
    """Typed criteria from their JSON value (a str is decoded first); CriteriaError if bad."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise CriteriaError(f"criteria: not JSON ({exc.msg} at char {exc.pos})") from None
        except UnicodeDecodeError:
            raise CriteriaError("criteria: not JSON (not UTF-8)") from None
    return normalize(_parse_node(value, "criteria", 0))


def _key(node: Node) -> str:
    return json.dumps(canonical(node), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _combine(kind: type[All] | type[AnyOf], children: tuple[Node, ...]) -> Node:
    flat: dict[str, Node] = {}
    for child in children:
        for part in (child.children if isinstance(child, kind) else (child,)):
            flat.setdefault(_key(part), part)
    ordered = tuple(flat[k] for k in sorted(flat))
    return ordered[0] if len(ordered) == 1 else kind(ordered)


def normalize(node: Node) -> Node:
    """The equivalent node in normal form (flattened, deduplicated, ordered, no double not)."""
    if isinstance(node, All | AnyOf):
        return _combine(type(node), tuple(normalize(c) for c in node.children))
    if isinstance(node, Not):
        child = normalize(node.child)
        return child.child if isinstance(child, Not) else Not(child)
    return node


def canonical(node: Node) -> Any:
    """The node as plain JSON in canonical form (lists sorted, no duplicates)."""
    if isinstance(node, All | AnyOf):
        return {"all" if isinstance(node, All) else "any": [canonical(c) for c in node.children]}
    if isinstance(node, Not):
        return {"not": canonical(node.child)}
    if isinstance(node, InSet):
        return {node.field: list(node.values)}
    if isinstance(node, FollowerRange):
        bounds = {"min": node.min, "max": node.max}
        return {"followers": {k: v for k, v in bounds.items() if v is not None}}
    if isinstance(node, Verified):
        return {"verified": node.value}
    if isinstance(node, Terms):
        return {node.field: list(node.terms)}
    return {"min_confidence": dict(node.floors)}


def canonical_json(node: Node) -> str:
    """The canonical form as compact JSON with sorted keys (what criteria_hash hashes)."""
    return _key(normalize(node))


def criteria_hash(node: Node) -> str:
    """SHA-256 hex of the canonical JSON: equal for equivalent criteria."""
    return sha256_hex(canonical_json(node))


def leaves(node: Node) -> list[Node]:
    """Every field node under this one, depth first."""
    if isinstance(node, All | AnyOf):
        return [leaf for child in node.children for leaf in leaves(child)]
    if isinstance(node, Not):
        return leaves(node.child)
    return [node]

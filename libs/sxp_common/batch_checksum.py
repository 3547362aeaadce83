"""The Lead Card Batch checksum: lowercase hex SHA-256 of the cards array as canonical JSON
(UTF-8, sorted keys, no whitespace). The exporter computes it; erasure recomputes it when it
takes a card out of a stored document."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any


def json_bytes(value: Any) -> bytes:
    """Canonical JSON bytes: UTF-8, sorted keys, no whitespace, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def canonical_payload(cards: Iterable[Mapping[str, Any]]) -> bytes:
    """The cards array as canonical JSON bytes."""
    return json_bytes([dict(card) for card in cards])


def checksum_of(cards: Iterable[Mapping[str, Any]]) -> str:
    """Lowercase hex SHA-256 of the canonical payload."""
    return hashlib.sha256(canonical_payload(cards)).hexdigest()

"""Deterministic identifiers and hashes shared by every service.

- identity_hash: SHA-256 hex of "platform:normalized_username" (who the profile is).
- subject_hash: HMAC-SHA256 of an identity hash (a forgotten identity on the suppression list).
- profile_id_for: UUIDv5 of the identity hash under PROFILE_NAMESPACE (stable across versions).
- lead_card_id_for: UUIDv5 of the profile id under LEAD_CARD_NAMESPACE.
- content_hash: SHA-256 hex of canonical JSON (sorted keys, no whitespace, UTF-8 kept).

The namespace UUIDs are fixed forever: changing them would re-key every stored row.
They were derived once as uuid5(NAMESPACE_URL, "https://sxp.local/ns/profile") and
uuid5(NAMESPACE_URL, "https://sxp.local/ns/lead-card") and are pinned here as literals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any

PROFILE_NAMESPACE = uuid.UUID("4f600b8c-b676-5b4f-a155-d90d0e4d0eb1")
LEAD_CARD_NAMESPACE = uuid.UUID("7d04d1f6-0382-5c67-be0b-d5d74d628c21")


def sha256_hex(data: bytes | str) -> str:
    """SHA-256 hex digest of bytes, or of a string encoded as UTF-8."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def identity_hash(platform: str, normalized_username: str) -> str:
    """SHA-256 hex of "platform:username" — the identity of one account on one platform."""
    return sha256_hex(f"{platform}:{normalized_username}")


def subject_hash(secret: str, identity_hash_hex: str) -> str:
    """HMAC-SHA256 hex of an identity hash under a secret: how the suppression list and the
    erasure audit keep a forgotten identity (never the username, never a plain hash)."""
    return hmac.new(secret.encode(), identity_hash_hex.encode(), hashlib.sha256).hexdigest()


def profile_id_for(identity_hash_hex: str) -> str:
    """UUIDv5 (as a string) of an identity hash under the fixed profile namespace."""
    return str(uuid.uuid5(PROFILE_NAMESPACE, identity_hash_hex))


def lead_card_id_for(profile_id: str) -> str:
    """UUIDv5 (as a string) of a profile id under the fixed lead-card namespace."""
    return str(uuid.uuid5(LEAD_CARD_NAMESPACE, profile_id))


def canonical_json(fields: Mapping[str, Any]) -> str:
    """Canonical JSON text: sorted keys, no whitespace, non-ASCII kept as-is."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of a mapping; key order never changes the hash."""
    return sha256_hex(canonical_json(fields))

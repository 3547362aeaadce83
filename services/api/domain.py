"""The API's rules as plain functions: cursors, rate limits, request bodies, pools (no I/O)."""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sxp_common.profile_input import type_row

MAX_PAGE = 500
DEFAULT_PAGE = 100
CURSOR_VERSION = "c1"


class BadRequest(ValueError):
    """A request the API refuses as malformed (400), with a one-line reason."""


class TooLarge(ValueError):
    """A request over a size limit (413)."""


# --- cursors ------------------------------------------------------------------------------


def encode_cursor(after_id: str, filters_digest: str) -> str:
    """An opaque cursor: the last id of a page and the filters it was made for."""
    raw = json.dumps([CURSOR_VERSION, after_id, filters_digest], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, filters_digest: str) -> str:
    """The id a cursor resumes after; BadRequest when it is not ours or the filters changed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        version, after_id, digest = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = str(uuid.UUID(str(after_id)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("cursor is not one this API made") from None
    if version != CURSOR_VERSION:
        raise BadRequest("cursor is from another version of this API")
    if digest != filters_digest:
        raise BadRequest("cursor was made for other filters; start again without it")
    return after


def filters_digest(filters: dict[str, Any]) -> str:
    """A short stable digest of the filters a page was asked with."""
    import hashlib

    canonical = json.dumps({k: v for k, v in sorted(filters.items()) if v is not None},
                           default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# --- rate limits --------------------------------------------------------------------------


@dataclass
class TokenBucket:
    """Requests a key may still make: refills at `rate` a second up to `burst`."""

    rate: float
    burst: int
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """Spend one token; return 0 when allowed, else the seconds until one is free."""
        if self.tokens < 0:
            self.tokens, self.at = float(self.burst), now
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """One token bucket per key, in memory (each instance limits what it serves)."""

    rate: float
    burst: int
    clock: Callable[[], float]
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def retry_after(self, key_id: str) -> int:
        """0 when the request may go ahead, else whole seconds to wait (Retry-After)."""
        bucket = self.buckets.setdefault(key_id, TokenBucket(self.rate, self.burst))
        wait = bucket.take(self.clock())
        return 0 if wait == 0 else max(1, math.ceil(wait))


# --- request bodies -----------------------------------------------------------------------


@dataclass
class ParsedProfiles:
    """The rows of a POST /v1/profiles body: typed ones by line, refused ones with why."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)


def _objects(body: bytes, ndjson: bool) -> list[tuple[int, Any]]:
    """(line or index, parsed value) of each input object; BadRequest for a broken body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None
    if not ndjson:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"body is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(document, list):
            raise BadRequest("body must be a JSON array of profiles (or NDJSON)")
        return list(enumerate(document, start=1))
    found: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            found.append((number, BadRequest(f"not valid JSON ({exc.msg})")))
    return found


def parse_profiles(body: bytes, ndjson: bool, max_profiles: int) -> ParsedProfiles:
    """Type each profile as `sxp publish` does; unreadable rows are refused, not fatal."""
    objects = _objects(body, ndjson)
    if len(objects) > max_profiles:
        raise TooLarge(f"{len(objects)} profiles in one request; at most {max_profiles}")
    parsed = ParsedProfiles()
    for line, value in objects:
        if isinstance(value, BadRequest):
            parsed.refused.append({"line": line, "reason": str(value)})
        elif not isinstance(value, dict):
            parsed.refused.append({"line": line, "reason": "not a JSON object"})
        else:
            try:
                parsed.rows.append((line, type_row(value)))
            except ValueError as exc:
                parsed.refused.append({"line": line, "reason": str(exc)})
    return parsed


# --- audience pools -----------------------------------------------------------------------


def pool_counts(rows: list[tuple[str, int]]) -> dict[str, Any]:
    """Counts of cards per pool "{platform}.{tribe}.{tier}", and per platform, tribe and tier."""
    totals: dict[str, dict[str, int]] = {"platform": {}, "tribe": {}, "follower_tier": {}}
    pools = []
    for pool, count in sorted(rows):
        platform, tribe, tier = (pool.split(".") + ["", "", ""])[:3]
        pools.append({"audience_pool": pool, "platform": platform, "tribe": tribe,
                      "follower_tier": tier, "cards": count})
        for axis, value in (("platform", platform), ("tribe", tribe), ("follower_tier", tier)):
            totals[axis][value] = totals[axis].get(value, 0) + count
    return {"pools": pools, "total": sum(c for _, c in rows),
            "by_platform": totals["platform"], "by_tribe": totals["tribe"],
            "by_follower_tier": totals["follower_tier"]}


# --- jobs ---------------------------------------------------------------------------------


def job_drained(published: int | None, received: int, unlabeled: int) -> bool:
    """A job has drained when ingest saw every published row and each of its profiles has a
    card labeled at its current version."""
    return published is not None and received >= published and unlabeled == 0

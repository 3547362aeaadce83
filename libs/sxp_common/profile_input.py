"""Input profiles as `sxp publish` and `POST /v1/profiles` accept them (pure, no I/O).

One place for the input fields, their typing (counts, the verified flag, text) and the
`sxp.profiles.submitted.v1` record built from a typed row, so the CLI and the API accept
exactly the same rows and refuse the same ones with the same reason.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

INPUT_FIELDS = (
    "platform", "username", "display_name", "bio", "followers", "following", "posts",
    "verified", "profile_url", "external_url", "category", "location", "collected_at",
)
COUNT_FIELDS = ("followers", "following", "posts")
TEXT_FIELDS = tuple(f for f in INPUT_FIELDS if f not in COUNT_FIELDS and f != "verified")
# Counts travel as Avro longs; anything outside cannot be sent, so the row is refused here.
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _count(name: str, value: Any) -> int | None:
    number = _whole(name, value)
    if number is not None and not LONG_MIN <= number <= LONG_MAX:
        raise ValueError(f"{name} is out of range")
    return number


def _whole(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip().replace(",", "").replace("_", "")
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {str(value)[:20]!r}") from None


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"verified must be true or false, got {text[:20]!r}")


def type_row(raw: dict[str, Any], platform: str | None = None) -> dict[str, Any]:
    """Coerce one input object to the submitted schema's field types (ValueError if impossible).
    Values already of their type (the usual JSON row) are taken as they are."""
    row: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = raw.get(name)
        if type(value) is not str:  # numbers and booleans become their text
            value = None if value is None else str(value)
        row[name] = value or None
    for name in COUNT_FIELDS:
        value = raw.get(name)
        row[name] = (value if type(value) is int and LONG_MIN <= value <= LONG_MAX
                     else _count(name, value))
    row["verified"] = _flag(raw.get("verified"))
    if platform and not row["platform"]:
        row["platform"] = platform
    return row


def raw_key(fields: dict[str, Any]) -> str:
    """"platform:username" as spelled (trimmed, lower-cased, no leading @)."""
    platform = (fields.get("platform") or "").strip().lower()
    username = (fields.get("username") or "").strip().lstrip("@").lower()
    return f"{platform}:{username}"


def submission_id(job: uuid.UUID, line: int) -> str:
    """uuid5(job, str(line)): the row's deterministic id (what ingest dedupes redelivery on),
    spelled without building UUID objects (they cost more than the SHA-1 itself)."""
    digest = bytearray(hashlib.sha1(job.bytes + str(line).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def submission_record(fields: dict[str, Any], job_id: str, line: int, source: str,
                      now: datetime, job: uuid.UUID | None = None) -> dict[str, Any]:
    """The sxp.profiles.submitted.v1 record of one typed row: its id is derived from the job
    and the row's line, so sending the same job again is the same submission (`job` is the
    job id already parsed, for a caller building many rows)."""
    record = dict(fields)
    record.update(
        submission_id=submission_id(job or uuid.UUID(job_id), line),
        job_id=job_id,
        source=f"{source}:{line}",
        submitted_at=now,
    )
    return record

"""Parse --since values: ISO 8601 times or a relative age like 30m, 2h, 7d."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """A UTC datetime for '2026-11-01', '2026-11-01T10:00:00Z' or '90m' (ValueError if neither)."""
    text = value.strip()
    match = _RELATIVE.match(text.lower())
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since must be an ISO 8601 time or an age like 30m, 2h, 7d; got "
                         f"{value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

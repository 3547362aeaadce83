"""Masked forms of contact values for logs: enough to recognise, never enough to use.

- mask_email("ana.lopez@acme.com") -> "a***@a***.com"
- mask_phone("+1 512 555 0142")    -> "***0142"
- fingerprint(value)               -> "sha256:<12 hex>" of the trimmed, case-folded value,
  so two log lines about the same value can be joined without showing it.
"""

from __future__ import annotations

import hashlib

MASK = "***"
FINGERPRINT_HEX_CHARS = 12


def mask_email(value: str | None) -> str:
    """First letter of the local part and of the domain, plus the top-level domain."""
    if not value:
        return ""
    local, sep, domain = value.strip().rpartition("@")
    if not sep or not local or not domain:
        return MASK
    host, dot, tld = domain.rpartition(".")
    if not dot or not host or not tld:
        return f"{local[0]}{MASK}@{MASK}"
    return f"{local[0]}{MASK}@{host[0]}{MASK}.{tld}"


def mask_phone(value: str | None) -> str:
    """Only the last four digits of a phone number."""
    if not value:
        return ""
    digits = [c for c in value if c.isdigit()]
    if len(digits) < 7:
        return MASK
    return MASK + "".join(digits[-4:])


def fingerprint(value: str | None) -> str:
    """A short SHA-256 of the trimmed, case-folded value ("sha256:<12 hex>"); "" for nothing."""
    if value is None:
        return ""
    normalized = value.strip().casefold()
    digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()
    return f"sha256:{digest[:FINGERPRINT_HEX_CHARS]}"

"""Remove contact data (e-mails, phone numbers, messenger numbers and links) from free text.

Pure functions, no I/O. Each removed span becomes REDACTION_TOKEN and its kind
("email", "phone", "messenger") is reported in Redacted.removed.

The text is first folded (normalize.py): fullwidth and mathematical characters, digits of
every script and Cyrillic/Greek look-alikes become ASCII, and zero-width characters go, with
offsets kept so the original text is what gets cut. Then, each stage gated by a cheap check:
1. links.py: mailto:, tel:, wa.me, WhatsApp/Telegram-invite/Signal/Viber links;
2. emails.py: plain and obfuscated addresses in many languages ("name [arroba] gmail.com",
   "bonjour(at)site(point)fr", "ivan собака mail точка ru", "n a m e @ g m a i l . c o m");
3. phones.py: "+CC" numbers via libphonenumber (any region), local numbers next to a phone or
   messenger cue in many languages or emoji, and phone-shaped runs; dates, years, prices,
   counts, IDs, IPs and digits inside URLs stay.
Redaction repeats (at most 3 passes) until the text is stable, so contains_contact_data() on
the output of redact_text() is always False.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sxp_common.redaction.emails import email_spans, has_email_trigger
from sxp_common.redaction.links import has_link_trigger, link_spans
from sxp_common.redaction.normalize import fold
from sxp_common.redaction.phones import has_phone_trigger, phone_spans
from sxp_common.redaction.spans import (
    KIND_EMAIL,
    KIND_MESSENGER,
    KIND_PHONE,
    REPORTED_KINDS,
    Span,
    overlaps,
)

__all__ = [
    "KIND_EMAIL", "KIND_MESSENGER", "KIND_PHONE", "REDACTION_TOKEN", "Redacted",
    "contact_spans", "contains_contact_data", "redact_fields", "redact_text",
]

REDACTION_TOKEN = "[contact removed]"
_MAX_PASSES = 3
_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Redacted:
    """Text with contact data replaced, and the kinds of data that were removed."""

    text: str
    removed: frozenset[str] = frozenset()

    @property
    def changed(self) -> bool:
        """True when anything was removed."""
        return bool(self.removed)


def contact_spans(text: str | None) -> list[Span]:
    """Spans (in text's own offsets) of the contact data one pass finds, sorted, unmerged."""
    if not text:
        return []
    folded = fold(text)
    t = folded.text
    lower = t.lower()
    found: list[Span] = []
    if has_link_trigger(lower):
        found.extend(link_spans(t))
    if has_email_trigger(t, lower):
        found.extend(s for s in email_spans(t) if not overlaps(s[:2], found))
    if has_phone_trigger(t):
        found.extend(s for s in phone_spans(t) if not overlaps(s[:2], found))
    return sorted(Span(*folded.span(s.start, s.end), s.kind) for s in found)


def _splice(text: str, spans: list[Span]) -> str:
    """Replace spans of text with the redaction token, one token per overlapping group."""
    out: list[str] = []
    pos = 0
    for start, end, _ in spans:
        if not out or start > pos:
            out += [text[pos:start], REDACTION_TOKEN]
        pos = max(pos, end)
    out.append(text[pos:])
    return "".join(out)


def redact_text(text: str | None) -> Redacted:
    """Replace every email, phone and messenger number/link in text with REDACTION_TOKEN."""
    if not text:
        return Redacted(text or "", _EMPTY)
    kinds: set[str] = set()
    for _ in range(_MAX_PASSES):
        spans = contact_spans(text)
        if not spans:
            break
        for span in spans:
            kinds |= REPORTED_KINDS[span.kind]
        text = _splice(text, spans)
    return Redacted(text, frozenset(kinds)) if kinds else Redacted(text, _EMPTY)


def contains_contact_data(text: str | None) -> bool:
    """True when redact_text would remove anything from text."""
    return bool(contact_spans(text))


def redact_fields(
    record: Mapping[str, Any], fields: Iterable[str]
) -> tuple[dict[str, Any], frozenset[str]]:
    """Copy of record with the named string fields redacted, plus the union of removed kinds."""
    out = dict(record)
    kinds: set[str] = set()
    for name in fields:
        value = out.get(name)
        if isinstance(value, str) and value:
            result = redact_text(value)
            out[name] = result.text
            kinds |= result.removed
    return out, frozenset(kinds)

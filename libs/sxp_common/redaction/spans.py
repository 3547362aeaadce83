"""Span and kind types shared by the redaction stages."""

from __future__ import annotations

from typing import NamedTuple

KIND_EMAIL = "email"
KIND_PHONE = "phone"
KIND_MESSENGER = "messenger"
KIND_MESSENGER_NUMBER = "messenger_number"  # a phone named as WhatsApp/Telegram/…: both kinds
REPORTED_KINDS: dict[str, frozenset[str]] = {
    KIND_EMAIL: frozenset({KIND_EMAIL}),
    KIND_PHONE: frozenset({KIND_PHONE}),
    KIND_MESSENGER: frozenset({KIND_MESSENGER}),
    KIND_MESSENGER_NUMBER: frozenset({KIND_PHONE, KIND_MESSENGER}),
}


class Span(NamedTuple):
    """A half-open [start, end) range of text holding contact data of one kind."""

    start: int
    end: int
    kind: str


def overlaps(a: tuple[int, int], spans: list[Span]) -> bool:
    """True when range a overlaps any span."""
    return any(s.start < a[1] and a[0] < s.end for s in spans)

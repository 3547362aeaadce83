"""Erasure, pure: the keyed subject hash, and taking one card out of what stored it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sxp_common.batch_checksum import checksum_of
from sxp_common.errors import Unprocessable

FORGET = "FORGET"
KINDS = (FORGET,)
ERASED_ITEM_MARK = "erased"


def check_command(command: Mapping[str, Any]) -> None:
    """Unprocessable for a command this service cannot carry out as written."""
    if command["kind"] not in KINDS:
        raise Unprocessable("unknown_kind", f"unknown compliance command {command['kind']!r}")
    identity = command["identity_hash"]
    if len(identity) != 64 or any(c not in "0123456789abcdef" for c in identity):
        raise Unprocessable("bad_identity_hash", "identity_hash is not a SHA-256 hex digest")


def document_without(document_text: str, card_ids: set[str]) -> tuple[str, str, int]:
    """A stored Lead Card Batch document without these cards: (text, checksum, removed). The
    count and checksum are those of what is left, so a resend stays self-consistent."""
    document = json.loads(document_text)
    kept = [c for c in document.get("cards", []) if c.get("lead_card_id") not in card_ids]
    removed = len(document.get("cards", [])) - len(kept)
    document.update(cards=kept, count=len(kept), checksum=checksum_of(kept))
    document["erased_cards"] = int(document.get("erased_cards", 0)) + removed
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, document["checksum"], removed


def items_without(items: Iterable[Mapping[str, Any]], card_ids: set[str]) -> list[dict[str, Any]]:
    """Enrichment batch items with these cards' public facts replaced by an erased mark (the
    batch keeps its size, reservation and ledger)."""
    return [{"lead_card_id": i["lead_card_id"], ERASED_ITEM_MARK: True}
            if i.get("lead_card_id") in card_ids else dict(i) for i in items]

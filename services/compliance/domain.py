"""Erasure and retention, pure: checking a command, taking cards out of what stored them, and
what is past its age given the time and the configured ages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sxp_common.batch_checksum import checksum_of
from sxp_common.errors import Unprocessable

FORGET = "FORGET"
RETENTION = "RETENTION"
KINDS = (FORGET, RETENTION)
ERASED_ITEM_MARK = "erased"


def check_command(command: Mapping[str, Any]) -> None:
    """Unprocessable for a command this service cannot carry out as written."""
    if command["kind"] not in KINDS:
        raise Unprocessable("unknown_kind", f"unknown compliance command {command['kind']!r}")
    if command["kind"] == RETENTION:
        return
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


@dataclass(frozen=True)
class RetentionAges:
    """How long each class of rows is kept, in days; 0 or less keeps it forever."""

    tier2_days: float
    provider_responses_days: float
    unseen_days: float


# The rules, in the order they run: profiles (and their cards) not seen for the unseen age
# first, since that takes their Tier 2 rows and answers with them; then Tier 2 rows and
# provider answers by their own age.
RULES = ("unseen", "tier2", "provider_responses")


def cutoff(now: datetime, days: float) -> datetime | None:
    """The instant before which a row is past an age of `days`; None for kept forever."""
    return None if days <= 0 else now - timedelta(days=days)


def retention_cutoffs(now: datetime, ages: RetentionAges) -> dict[str, datetime | None]:
    """Each rule's cutoff: a row of that rule stamped before it is past its age."""
    return {"unseen": cutoff(now, ages.unseen_days), "tier2": cutoff(now, ages.tier2_days),
            "provider_responses": cutoff(now, ages.provider_responses_days)}


def past_age(stamp: datetime, limit: datetime | None) -> bool:
    """True when a row stamped at `stamp` is past its age (strictly before the cutoff); the
    SQL of each rule asks the same (`stamp < cutoff`)."""
    return limit is not None and stamp < limit


def flat_counts(deleted: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Rows deleted per rule and table as audit details: `rows:<rule>:<table>` -> count."""
    return {f"rows:{rule}:{table}": n for rule, tables in deleted.items()
            for table, n in tables.items()}

"""Erasure and retention, pure: checking a command, taking cards out of what stored them, and
what is past its age given the time and the configured ages."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sxp_common import avro
from sxp_common.batch_checksum import checksum_of
from sxp_common.errors import Unprocessable
from sxp_common.hashing import sha256_hex
from sxp_common.profile_input import raw_key
from sxp_common.topics import DEADLETTER, DEADLETTER_SEGMENT_MS, PROFILES_SUBMITTED, TOPICS

FORGET = "FORGET"
RETENTION = "RETENTION"
KINDS = (FORGET, RETENTION)
ERASED_ITEM_MARK = "erased"
# Counters a rewritten batch document carries: cards an erasure took out, and cards whose
# Tier 2 values retention took out for their age.
ERASED_CARDS = "erased_cards"
EXPIRED_TIER2_CARDS = "expired_tier2_cards"


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
    def drop(card: dict[str, Any]) -> dict[str, Any] | None:
        return None if card.get("lead_card_id") in card_ids else card

    return rewrite_document(document_text, drop, ERASED_CARDS)


def document_without_tier2(document_text: str, contact_ids: set[str],
                           business_ids: set[str]) -> tuple[str, str, int]:
    """A stored document without the Tier 2 values of these contacts and businesses (gone for
    their age): each card's `contact` or `business` that is one of them becomes null, with its
    lineage id. An ENRICHED card left with neither is taken out, as an erasure takes a card
    (the contract wants an ENRICHED card to carry one). (text, checksum, cards changed)."""
    def strip(card: dict[str, Any]) -> dict[str, Any] | None:
        lineage = dict(card.get("lineage") or {})
        changed = dict(card)
        for part, gone in (("contact", contact_ids), ("business", business_ids)):
            held = card.get(part) or {}
            if held.get(f"{part}_id") in gone or lineage.get(f"{part}_id") in gone:
                changed[part] = None
                lineage[f"{part}_id"] = None
        if changed == card and lineage == (card.get("lineage") or {}):
            return card
        if (changed.get("readiness") == "ENRICHED" and changed.get("contact") is None
                and changed.get("business") is None):
            return None
        changed["lineage"] = lineage
        return changed

    return rewrite_document(document_text, strip, EXPIRED_TIER2_CARDS)


def rewrite_document(document_text: str,
                     change: Callable[[dict[str, Any]], dict[str, Any] | None],
                     mark: str) -> tuple[str, str, int]:
    """The one way a stored document is rewritten: `change` gives each card as it stays
    (the same object when untouched, None to take it out); the count and checksum become
    those of what is left, and the document counts the cards changed under `mark`.
    (text, checksum, cards changed)."""
    document = json.loads(document_text)
    cards = document.get("cards", [])
    kept: list[dict[str, Any]] = []
    changed = 0
    for card in cards:
        after = change(card)
        changed += after is not card
        if after is not None:
            kept.append(after)
    document.update(cards=kept, count=len(kept), checksum=checksum_of(kept))
    if changed:
        document[mark] = int(document.get(mark, 0)) + changed
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, document["checksum"], changed


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
    deadletter_days: float = 0.0


# The rules, in the order they run: profiles (and their cards) not seen for the unseen age
# first, since that takes their Tier 2 rows and answers with them; then Tier 2 rows and
# provider answers by their own age; then what Postgres keeps of dead letters past the
# dead-letter topic's age.
RULES = ("unseen", "tier2", "provider_responses", "dead_letters")


def cutoff(now: datetime, days: float) -> datetime | None:
    """The instant before which a row is past an age of `days`; None for kept forever."""
    return None if days <= 0 else now - timedelta(days=days)


def retention_cutoffs(now: datetime, ages: RetentionAges) -> dict[str, datetime | None]:
    """Each rule's cutoff: a row of that rule stamped before it is past its age."""
    return {"unseen": cutoff(now, ages.unseen_days), "tier2": cutoff(now, ages.tier2_days),
            "provider_responses": cutoff(now, ages.provider_responses_days),
            "dead_letters": cutoff(now, ages.deadletter_days)}


def past_age(stamp: datetime, limit: datetime | None) -> bool:
    """True when a row stamped at `stamp` is past its age (strictly before the cutoff); the
    SQL of each rule asks the same (`stamp < cutoff`)."""
    return limit is not None and stamp < limit


def flat_counts(deleted: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Rows deleted per rule and table as audit details: `rows:<rule>:<table>` -> count."""
    return {f"rows:{rule}:{table}": n for rule, tables in deleted.items()
            for table, n in tables.items()}


# The topics whose contract can decode a dead letter's bytes, and the fields of a decoded
# record that name a profile or a lead card, whatever the topic.
CONTRACT_TOPICS = frozenset(spec.name for spec in TOPICS)
_ID_FIELDS = ("profile_id", "lead_card_id")


def subject_refs(identity_hash: str, ids: Iterable[Any]) -> set[str]:
    """What names a subject in a record: its identity hash, its profile and card ids."""
    return {f"identity:{identity_hash}", *(f"id:{i}" for i in ids if i is not None)}


def dead_letter_refs(source_topic: str, key: bytes | None, value: bytes | None) -> set[str]:
    """What names a person in a dead letter's original record (pure): the key (on the
    submitted topic `platform:handle`, the identity ingest derives, whose SHA-256 is the
    identity hash; elsewhere a profile, card or batch id) and, when the bytes decode with the
    source topic's contract, every profile and card id and identity hash inside. Bytes that
    do not decode name nobody but by their key."""
    refs: set[str] = set()
    text = key.decode(errors="replace") if key else ""
    if text:
        refs.add(f"identity:{sha256_hex(text)}" if source_topic == PROFILES_SUBMITTED
                 else f"id:{text}")
    if source_topic not in CONTRACT_TOPICS:
        return refs
    try:
        record = avro.decode(source_topic, value)
    except avro.UndecodableMessage:
        return refs
    if source_topic == PROFILES_SUBMITTED and record.get("platform") and record.get("username"):
        refs.add(f"identity:{sha256_hex(raw_key(record))}")
    _collect(record, refs)
    return refs


@dataclass(frozen=True)
class DeadLetterRefs:
    """One dead letter as an erasure sees it: its id (`source topic:partition:offset`, as
    `sxp deadletter` prints it) and what names a person in its original record."""

    id: str
    refs: frozenset[str]


def dead_letter_seen(value: bytes) -> DeadLetterRefs:
    """A record of the dead-letter topic (or its staged copy in the outbox), read."""
    row = avro.decode(DEADLETTER, value)
    return DeadLetterRefs(
        f"{row['source_topic']}:{row['source_partition']}:{row['source_offset']}",
        frozenset(dead_letter_refs(row["source_topic"], row["key"], row["value"])))


def marks_cutoff(dead_letters_cutoff: datetime | None) -> datetime | None:
    """Before when an erasure's mark of a dead letter may go: the dead letter was on the topic
    when marked, so a segment roll after the topic's age it has surely left it."""
    if dead_letters_cutoff is None:
        return None
    return dead_letters_cutoff - timedelta(milliseconds=DEADLETTER_SEGMENT_MS)


def _collect(value: Any, refs: set[str]) -> None:
    if isinstance(value, Mapping):
        for name, inner in value.items():
            if name in _ID_FIELDS and inner:
                refs.add(f"id:{inner}")
            elif name == "identity_hash" and inner:
                refs.add(f"identity:{inner}")
            elif name == "lead_card_ids" and isinstance(inner, list):
                refs.update(f"id:{i}" for i in inner)
            else:
                _collect(inner, refs)
    elif isinstance(value, list):
        for inner in value:
            _collect(inner, refs)

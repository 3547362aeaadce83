"""Dead letters: read them off sxp.deadletter.v1, and send chosen ones back to their source.

A dead letter keeps the original bytes, the service, the reason and where it was read. Its id
is its source coordinates (`topic:partition:offset`). A redrive sends the original key and
bytes back to the source topic with the `sxp-redrive-of` header, once per dead letter (the
redrive is audited with every id it sent, and later redrives skip those ids). A record that
fails again comes back as a new dead letter that carries the header: it is listed as failed
after a redrive and is not sent again unless asked, so nothing loops. A dead letter an
erasure found the forgotten person in (`compliance.erased_dead_letters`) is listed as erased
and never sent back, `--again` or not: Kafka cannot delete it, its topic's retention does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sxp_common import audit, avro
from sxp_common.kafka import REDRIVE_HEADER, InboundRecord, Outgoing, make_broker, publish_all
from sxp_common.kafka import read_topic as read_records
from sxp_common.settings import Settings
from sxp_common.topics import DEADLETTER


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter, without its bytes' content (they may hold a person's data)."""

    id: str
    service: str
    source_topic: str
    reason_code: str
    detail: str
    failed_at: datetime
    redrive_of: str | None
    key: bytes | None
    value: bytes | None

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "service": self.service, "source_topic": self.source_topic,
                "reason_code": self.reason_code, "detail": self.detail,
                "failed_at": self.failed_at.isoformat(), "redrive_of": self.redrive_of,
                "bytes": len(self.value or b""), "sha256": audit.sha256_of(self.value or b"")}


def dead_letter_of(record: InboundRecord) -> DeadLetter:
    """Decode one record of the dead-letter topic."""
    row = avro.decode(DEADLETTER, record.value)
    redrive = dict(record.headers).get(REDRIVE_HEADER)
    return DeadLetter(
        id=f"{row['source_topic']}:{row['source_partition']}:{row['source_offset']}",
        service=row["service"], source_topic=row["source_topic"],
        reason_code=row["reason_code"], detail=row["detail"], failed_at=row["failed_at"],
        redrive_of=redrive.decode(errors="replace") if redrive is not None else None,
        key=row["key"], value=row["value"])


def select(letters: Iterable[DeadLetter], service: str | None, reason: str | None,
           since: datetime | None) -> list[DeadLetter]:
    """The dead letters of a service, a reason code and a time, all optional; one per id."""
    chosen: dict[str, DeadLetter] = {}
    for letter in letters:
        if ((service is None or letter.service == service.replace("-", "_"))
                and (reason is None or letter.reason_code == reason)
                and (since is None or letter.failed_at >= since)):
            chosen.setdefault(letter.id, letter)
    return list(chosen.values())


def to_redrive(letters: Sequence[DeadLetter], already: set[str], again: bool,
               erased: frozenset[str] = frozenset()) -> tuple[list[DeadLetter], dict[str, int]]:
    """What a redrive sends, and how many it skips and why (pure)."""
    send: list[DeadLetter] = []
    skipped = {"already_redriven": 0, "failed_after_redrive": 0, "erased": 0}
    for letter in letters:
        if letter.id in erased:
            skipped["erased"] += 1
        elif letter.id in already:
            skipped["already_redriven"] += 1
        elif letter.redrive_of is not None and not again:
            skipped["failed_after_redrive"] += 1
        else:
            send.append(letter)
    return send, skipped


def redrive_messages(letters: Iterable[DeadLetter]) -> list[Outgoing]:
    """The original key and bytes, back to the source topic, marked as a redrive."""
    return [Outgoing(letter.source_topic, (letter.key or b"").decode(errors="replace"),
                     letter.value or b"", {REDRIVE_HEADER: letter.id}) for letter in letters]


async def read_dead_letters(settings: Settings) -> list[DeadLetter]:
    """Every dead letter the topic still holds, oldest first per partition."""
    return [dead_letter_of(r) for r in await read_records(settings, DEADLETTER) if r.value]


async def redriven_ids(settings: Settings) -> set[str]:
    """Ids already redriven, from the audit projection (read as the CLI's reader)."""
    from sxp_cli.queries import reading

    async with reading(settings) as conn:
        rows = await conn.fetch("""SELECT details FROM audit.audit_log
                                   WHERE event_type = $1""", audit.DEADLETTERS_REDRIVEN)
    ids: set[str] = set()
    for row in rows:
        details = row["details"] if isinstance(row["details"], dict) else _json(row["details"])
        ids.update(k.removeprefix("id:") for k in details if k.startswith("id:"))
    return ids


async def erased_ids(settings: Settings) -> frozenset[str]:
    """Ids of the dead letters an erasure found its subject in (read as the CLI's reader)."""
    from sxp_cli.queries import reading

    async with reading(settings) as conn:
        rows = await conn.fetch("SELECT dead_letter_id FROM compliance.erased_dead_letters")
    return frozenset(r["dead_letter_id"] for r in rows)


def _json(text: str) -> dict[str, Any]:
    import json

    return dict(json.loads(text))


async def redrive(settings: Settings, letters: Sequence[DeadLetter]) -> int:
    """Send the dead letters back and audit the redrive with every id it sent."""
    if not letters:
        return 0
    broker = make_broker(settings, "cli")
    await broker.connect()
    try:
        sent = await publish_all(broker, redrive_messages(letters))
        event = audit.audit_event(
            audit.DEADLETTERS_REDRIVEN, audit.Actor.cli(), outcome="redriven",
            discriminator="|".join(sorted(letter.id for letter in letters)),
            details={"count": len(letters),
                     **{f"id:{letter.id}": letter.reason_code for letter in letters}})
        await audit.emit(broker, [event])
        return sent
    finally:
        await broker.stop()

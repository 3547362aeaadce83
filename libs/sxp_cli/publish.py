"""`sxp publish`: send input profiles to sxp.profiles.submitted.v1 in batches."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.ingest.domain import partition_key
from sxp_cli.reader import InputRow, read_rows
from sxp_common import audit, tracing
from sxp_common.kafka import BatchSender, Outgoing, make_broker, outgoing
from sxp_common.profile_input import (  # noqa: F401 - submission_id: the CLI's name for it
    raw_key,
    submission_id,
    submission_record,
)
from sxp_common.settings import Settings
from sxp_common.topics import PROFILES_SUBMITTED

CHUNK = 250  # rows built between two turns of the event loop (the sends progress then)


@dataclass
class PublishReport:
    """What a publish run did: its job id, rows sent, and the unreadable rows by line."""

    job_id: str
    file: str
    published: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    checksum: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "job_id": self.job_id,
            "file": self.file,
            "published": self.published,
            "checksum": self.checksum,
            "bad_rows": len(self.bad_rows),
            "bad_row_details": [{"line": n, "error": e} for n, e in self.bad_rows[:100]],
        }


def submission_key(fields: dict[str, Any]) -> str:
    """Partition key: the profile's identity, so versions of one profile stay in order."""
    # Normalized as ingest will (twitter is x, a profile URL is its handle), so every spelling
    # of one profile lands on one partition; a row ingest rejects keeps its raw spelling.
    canonical = partition_key(fields.get("platform"), fields.get("username"))
    return canonical if canonical is not None else raw_key(fields)


def build_submission(row: InputRow, job_id: str, source: str, now: datetime,
                     job: uuid.UUID | None = None) -> Outgoing:
    """The Avro record for one readable input row."""
    assert row.fields is not None
    record = submission_record(row.fields, job_id, row.line, source, now, job)
    # One trace per profile: its root span is the publish; every service continues it.
    headers = tracing.start_trace("sxp publish", {
        "sxp.job_id": job_id, "sxp.source_line": row.line,
        "messaging.system": "kafka", "messaging.destination.name": PROFILES_SUBMITTED})
    return outgoing(PROFILES_SUBMITTED, submission_key(row.fields), record, headers)


async def publish_file(
    path: Path,
    settings: Settings,
    platform: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> PublishReport:
    """Publish every readable row of `path`; report unreadable ones with their line numbers."""
    report = PublishReport(job_id=str(uuid.uuid4()), file=str(path))
    tracing.configure("cli", metrics=False, traces_default="none")  # spans only if asked
    rows = read_rows(path, platform)
    broker = make_broker(settings, "cli", bulk=True)
    await broker.connect()
    try:
        now, job, source = datetime.now(UTC), uuid.UUID(report.job_id), path.name
        sender = BatchSender(broker)
        for chunk in _chunks(rows, CHUNK):
            messages = []
            for row in chunk:
                if row.fields is None:
                    report.bad_rows.append((row.line, row.error or "unreadable"))
                else:
                    messages.append(build_submission(row, report.job_id, source, now, job))
            await sender.add(messages)  # full batches go out while the next chunk builds
            if on_progress:
                on_progress(len(chunk))
        report.published = await sender.finish()
        report.checksum = file_sha256(path)
        await audit.emit(broker, [published_event(report)])
    finally:
        await broker.stop()
        tracing.flush()
    return report


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, so the audit trail names exactly what was published."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def published_event(report: PublishReport) -> dict[str, Any]:
    """The audit event for a publish job: who published how many rows of which file."""
    event = audit.audit_event(
        audit.PROFILES_PUBLISHED,
        audit.Actor.cli(),
        outcome="ok",
        batch_id=report.job_id,
        discriminator=report.job_id,
        details={"file": Path(report.file).name, "published": report.published,
                 "bad_rows": len(report.bad_rows)},
    )
    event["checksum"] = report.checksum
    return event


def _chunks(rows: Iterable[InputRow], size: int) -> Iterable[list[InputRow]]:
    chunk: list[InputRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_publish(path: Path, settings: Settings, platform: str | None,
                progress: Any) -> PublishReport:
    """Run publish_file with a rich progress task (sync entry point for the CLI)."""
    total = sum(1 for line in path.open(encoding="utf-8", errors="replace") if line.strip())
    total -= 1 if path.suffix.lower() == ".csv" else 0
    task = progress.add_task(f"publishing {path.name}", total=total)
    return asyncio.run(
        publish_file(path, settings, platform, lambda n: progress.advance(task, n))
    )

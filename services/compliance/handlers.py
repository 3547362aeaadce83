"""on_compliance_command: erase a subject from every tier, suppress it, and tell the platforms;
or delete what is past its configured age."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.compliance.adapters import answered, erase_subject, record_answer, suppress
from services.compliance.dead_letters import (
    dead_letters_on_topic,
    drop_staged_dead_letters,
    mark_dead_letters,
)
from services.compliance.domain import (
    RETENTION,
    RetentionAges,
    check_command,
    flat_counts,
    retention_cutoffs,
    subject_refs,
)
from services.compliance.retention import apply_retention, record_retention, retention_answered
from sxp_common import audit
from sxp_common.events import ComplianceCommand
from sxp_common.hashing import subject_hash
from sxp_common.kafka import outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import ERASURES


async def on_compliance_command(events: list[ComplianceCommand], deps: ServiceContext) -> None:
    """Handle sxp.compliance.commands.v1, one command per transaction."""
    for event in events:
        command = event.as_record()
        check_command(command)
        if command["kind"] == RETENTION:
            await _retain(command, deps)
        else:
            await _forget(command, deps)


async def _forget(command: dict[str, Any], ctx: ServiceContext) -> None:
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    now = datetime.now(UTC)
    request_id = command["request_id"]
    subject = subject_hash(ctx.settings.suppression_secret, command["identity_hash"])
    async with ctx.db().acquire() as conn, conn.transaction():
        if await answered(conn, request_id):
            return  # a redelivered command: its notice and audit were staged with it
        result = await erase_subject(conn, command["identity_hash"])
        result["erased"].update(await _erase_dead_letters(ctx, conn, command, result))
        await suppress(conn, subject, request_id)
        requester = command["requested_by"]
        await record_answer(conn, request_id, subject, requester["name"], result["erased"])
        notice = {"erasure_id": request_id, "subject_hash": subject,
                  "lead_card_ids": result["lead_card_ids"], "erased_at": now}
        # The audit event carries the keyed hash and counts only: no card id, no name.
        trail = audit.audit_event(
            audit.SUBJECT_ERASED, actor, outcome="erased", occurred_at=now,
            discriminator=request_id,
            details={"subject_hash": subject, "requested_by": requester["name"],
                     **{f"rows:{t}": n for t, n in result["erased"].items()}})
        await ctx.stage(conn, [outgoing(ERASURES, request_id, notice),
                               *audit.audit_messages([trail])])
    ctx.counters.add(erasures=1)
    ctx.logger.info("subject erased", extra={"request_id": request_id,
                                             "rows": result["erased"]})


async def _erase_dead_letters(ctx: ServiceContext, conn: asyncpg.Connection,
                              command: dict[str, Any], result: dict[str, Any]) -> dict[str, int]:
    """The subject's dead letters: staged copies deleted, those on the topic marked (Kafka
    cannot delete one record; the topic's retention bounds them). The outbox goes first, so a
    copy a relay was sending meanwhile is on the topic when it is read."""
    refs = subject_refs(command["identity_hash"],
                        [result["profile_id"], *result["lead_card_ids"]])
    staged = await drop_staged_dead_letters(conn, refs)
    marked = await mark_dead_letters(conn, await dead_letters_on_topic(ctx.settings), refs,
                                     command["request_id"])
    return {"staged_dead_letters": staged, "dead_letters": marked}


async def _retain(command: dict[str, Any], ctx: ServiceContext) -> None:
    """Delete what is past its age (or, for a dry run, count it), audited by counts only."""
    settings = ctx.settings
    ages = RetentionAges(settings.retention_tier2_days,
                         settings.retention_provider_responses_days,
                         settings.retention_unseen_days, settings.retention_deadletter_days)
    now = datetime.now(UTC)
    cutoffs = retention_cutoffs(now, ages)
    request_id, dry_run = command["request_id"], bool(command["dry_run"])
    requester = command["requested_by"]["name"]
    async with ctx.db().acquire() as conn, conn.transaction():
        if await retention_answered(conn, request_id):
            return
        deleted = await apply_retention(conn, cutoffs, dry_run)
        await record_retention(conn, request_id, requester, dry_run, cutoffs, deleted)
        if not dry_run:
            await _stage_retention_audit(ctx, conn, request_id, requester, now, deleted)
    ctx.logger.info("retention applied", extra={"request_id": request_id, "dry_run": dry_run,
                                                "rows": deleted})


async def _stage_retention_audit(ctx: ServiceContext, conn: asyncpg.Connection,
                                 request_id: str, requester: str, now: datetime,
                                 deleted: dict[str, dict[str, int]]) -> None:
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    # Counts only: which rows went is not recorded anywhere (they are past their age).
    trail = audit.audit_event(audit.RETENTION_APPLIED, actor, outcome="deleted",
                              occurred_at=now, discriminator=request_id,
                              details={"request_id": request_id, "requested_by": requester,
                                       **flat_counts(deleted)})
    await ctx.stage(conn, audit.audit_messages([trail]))

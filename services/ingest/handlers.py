"""on_profiles_submitted: decode, validate and redact, upsert Tier 1, stage the events."""

from __future__ import annotations

from datetime import UTC, datetime

from services.ingest.adapters import add_job_counts, apply_profiles, suppressed_subjects
from services.ingest.batch import (
    count_outcomes,
    plan_batch,
    rejected_record,
    subject_hashes,
    without_suppressed,
)
from services.ingest.domain import to_raw_record
from sxp_common.kafka import InboundRecord, decode_batch, outgoing
from sxp_common.positions import claim_fresh
from sxp_common.service import ServiceContext
from sxp_common.topics import PROFILES_RAW, PROFILES_REJECTED
from sxp_common.tracing import trace_headers


async def on_profiles_submitted(ctx: ServiceContext, records: list[InboundRecord]) -> None:
    """Handle one batch from sxp.profiles.submitted.v1."""
    now = datetime.now(UTC)
    batch = decode_batch(ctx.name, records)
    submissions = [value for _, value in batch.records]
    plan = plan_batch(submissions, now)
    position_of = {value["submission_id"]: (r.topic, r.partition,
                                            r.offset) for r, value in batch.records}
    record_of = {value["submission_id"]: r for r, value in batch.records}
    async with ctx.db().acquire() as conn, conn.transaction():
        subjects = subject_hashes(plan, ctx.settings.suppression_secret)
        plan = without_suppressed(plan, submissions, subjects,
                                  await suppressed_subjects(conn, list(subjects.values())))
        fresh_positions = await claim_fresh(conn, ctx.group, records)
        fresh_ids = {sid for sid, pos in position_of.items() if pos in fresh_positions}
        applied = await apply_profiles(conn, plan.accepted, fresh_ids)
        counts = count_outcomes(plan, applied.decision, fresh_ids)
        await add_job_counts(conn, counts)
        # Staged with the positions and counts: a crash after the commit cannot lose them.
        # Each record continues the trace of the submission it came from (one trace per profile).
        # One record per new version (a redelivered batch announces the versions it made again).
        messages = [
            outgoing(PROFILES_RAW, p.profile_id, to_raw_record(p, version),
                     trace_headers(record_of[p.submission_id]))
            for p, version in applied.announce
        ]
        messages += [
            outgoing(PROFILES_REJECTED, item.submission["submission_id"],
                     rejected_record(item, now),
                     trace_headers(record_of[item.submission["submission_id"]]))
            for item in plan.rejected
        ]
        messages += batch.dead_letters
        await ctx.stage(conn, messages)
    ctx.counters.add(
        consumed=len(records),
        dead_lettered=len(batch.dead_letters),
        rejected=len(plan.rejected),
        deduplicated=sum(c.get("duplicates", 0) for c in counts.values()),
        emitted=len(messages),
    )
    ctx.logger.info(
        "batch applied",
        extra={"records": len(records), "jobs": sorted(counts), "rejected": len(plan.rejected),
               "dead_lettered": len(batch.dead_letters)},
    )

"""on_profiles_submitted: validate and redact, upsert Tier 1, stage the events."""

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
from sxp_common.events import ProfileSubmitted
from sxp_common.kafka import outgoing
from sxp_common.positions import claim_fresh
from sxp_common.service import ServiceContext
from sxp_common.topics import PROFILES_RAW, PROFILES_REJECTED
from sxp_common.tracing import trace_headers


async def on_profiles_submitted(events: list[ProfileSubmitted], deps: ServiceContext) -> None:
    """Handle one batch from sxp.profiles.submitted.v1 (validation works on the raw record:
    what a producer submitted is checked by the domain, not trusted)."""
    now = datetime.now(UTC)
    submissions = [e.as_record() for e in events]
    plan = plan_batch(submissions, now)
    record_of = {e.submission_id: e.record for e in events}
    async with deps.db().acquire() as conn, conn.transaction():
        subjects = subject_hashes(plan, deps.settings.suppression_secret)
        plan = without_suppressed(plan, submissions, subjects,
                                  await suppressed_subjects(conn, list(subjects.values())))
        fresh_positions = await claim_fresh(conn, deps.group, [e.record for e in events])
        fresh_ids = {sid for sid, r in record_of.items()
                     if (r.topic, r.partition, r.offset) in fresh_positions}
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
        await deps.stage(conn, messages)
    deps.counters.add(
        rejected=len(plan.rejected),
        deduplicated=sum(c.get("duplicates", 0) for c in counts.values()),
        emitted=len(messages),
    )
    deps.logger.info(
        "batch applied",
        extra={"records": len(events), "jobs": sorted(counts), "rejected": len(plan.rejected)},
    )

"""Pure batch logic for ingest: split a batch into accepted, rejected and in-batch duplicates,
and count what happened per publish job."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ingest.domain import CleanProfile, Rejection, collapse_batch, validate_submission
from sxp_common.redaction import redact_text


@dataclass(frozen=True)
class RejectedSubmission:
    """A submission with the reason it was refused."""

    submission: Mapping[str, Any]
    rejection: Rejection


@dataclass(frozen=True)
class IngestPlan:
    """What to write for one batch: unique profiles, duplicates within it, and rejects."""

    unique: list[CleanProfile]
    in_batch_duplicates: list[CleanProfile]
    rejected: list[RejectedSubmission]


def plan_batch(submissions: Sequence[Mapping[str, Any]], now: datetime) -> IngestPlan:
    """Validate and redact every submission, then collapse repeats of one profile."""
    accepted: list[CleanProfile] = []
    rejected: list[RejectedSubmission] = []
    for submission in submissions:
        result = validate_submission(submission, now)
        if isinstance(result, Rejection):
            rejected.append(RejectedSubmission(submission, result))
        else:
            accepted.append(result)
    unique, duplicates = collapse_batch(accepted)
    return IngestPlan(unique, duplicates, rejected)


def rejected_record(item: RejectedSubmission, now: datetime) -> dict[str, Any]:
    """The sxp.profiles.rejected.v1 record for a refused submission (ids only, no free text)."""
    s = item.submission
    return {
        "submission_id": s["submission_id"],
        "job_id": s["job_id"],
        "source": s["source"],
        "reason_code": item.rejection.reason_code,
        "detail": item.rejection.detail,
        "platform": _short(s.get("platform")),
        "username": _short(s.get("username")),
        "rejected_at": now,
    }


def _short(value: object) -> str | None:
    """A submitted identifier as the rejected topic may carry it: redacted and cut to 64."""
    return None if value is None else redact_text(str(value)).text[:64]


def count_outcomes(
    plan: IngestPlan,
    outcomes: Mapping[str, str],
    fresh_submission_ids: set[str],
) -> dict[str, dict[str, int]]:
    """Per-job counters for submissions applied for the first time.

    `outcomes` maps profile id to what the upsert did ("stored", "new_version",
    "unchanged", "redelivered"). New versions count as duplicates of a known profile.
    """
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def bump(job_id: str, *names: str) -> None:
        for name in names:
            counts[job_id][name] += 1

    for item in plan.rejected:
        if item.submission["submission_id"] in fresh_submission_ids:
            bump(item.submission["job_id"], "received", "rejected")
    for profile in _fresh(plan.in_batch_duplicates, fresh_submission_ids):
        bump(profile.job_id, "received", "duplicates")
    for profile in _fresh(plan.unique, fresh_submission_ids):
        outcome = outcomes[profile.profile_id]
        names = {"stored": ("stored",), "new_version": ("duplicates", "new_versions")}
        bump(profile.job_id, "received", *names.get(outcome, ("duplicates",)))
    for profile in _fresh(plan.unique + plan.in_batch_duplicates, fresh_submission_ids):
        if profile.contact_data_removed:
            bump(profile.job_id, "contact_data_removed")
    return {job: dict(values) for job, values in counts.items()}


def _fresh(profiles: Iterable[CleanProfile], fresh: set[str]) -> list[CleanProfile]:
    return [p for p in profiles if p.submission_id in fresh]

"""Pure batch logic for ingest: validate a batch, decide what each observation does to its
profile, and count what happened per publish job.

Which observation of a profile wins is decided by the data alone (domain.precedence): a dated
observation beats an undated one, a newer collected_at beats an older one, and for equal
collected_at (or both undated) the greater content hash wins. A batch is decided as if its
records arrived one at a time in offset order: an observation that beats the current state
makes a new version when its content differs, and only moves collected_at forward when its
content is the same; anything else (older, exact duplicate, redelivery) changes nothing. So
one big batch and many small ones leave the same rows and the same version history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.ingest.domain import (
    SUPPRESSED,
    CleanProfile,
    Rejection,
    precedence,
    validate_submission,
)
from sxp_common.hashing import subject_hash
from sxp_common.redaction import redact_text

STORED = "stored"  # the first observation of a profile: version 1
NEW_VERSION = "new_version"  # beats the current state with other content: version + 1
REFRESHED = "refreshed"  # beats it with the same content: only collected_at moves forward
DUPLICATE = "duplicate"  # does not beat it (older, exact duplicate, redelivery): nothing
OUTCOMES: tuple[str, ...] = (STORED, NEW_VERSION, REFRESHED, DUPLICATE)
_COUNTED_AS: Mapping[str, tuple[str, ...]] = {
    STORED: ("stored",), NEW_VERSION: ("duplicates", "new_versions"),
    REFRESHED: ("duplicates",), DUPLICATE: ("duplicates",),
}


@dataclass(frozen=True)
class RejectedSubmission:
    """A submission with the reason it was refused."""

    submission: Mapping[str, Any]
    rejection: Rejection


@dataclass(frozen=True)
class IngestPlan:
    """A validated batch: accepted profiles and rejects, each in the batch's order."""

    accepted: list[CleanProfile]
    rejected: list[RejectedSubmission]


@dataclass(frozen=True, slots=True)
class ProfileState:
    """What Tier 1 holds for one profile: its version and the rank of the observation behind it."""

    version: int
    collected_at: datetime | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class RowWrite:
    """A profile row to write whole: its content's observation, version and collected_at."""

    profile: CleanProfile
    version: int
    collected_at: datetime | None


@dataclass(frozen=True)
class BatchDecision:
    """What a batch does: one outcome per observation, the new versions and the row writes."""

    observations: list[CleanProfile]
    outcomes: list[str]
    versions: list[tuple[CleanProfile, int]] = field(default_factory=list)
    rows: list[RowWrite] = field(default_factory=list)
    # Profiles seen whose content did not change: the collected_at to store (None: keep it).
    touched: dict[str, datetime | None] = field(default_factory=dict)


def plan_batch(submissions: Sequence[Mapping[str, Any]], now: datetime) -> IngestPlan:
    """Validate and redact every submission, keeping the batch's order."""
    accepted: list[CleanProfile] = []
    rejected: list[RejectedSubmission] = []
    for submission in submissions:
        result = validate_submission(submission, now)
        if isinstance(result, Rejection):
            rejected.append(RejectedSubmission(submission, result))
        else:
            accepted.append(result)
    return IngestPlan(accepted, rejected)


def subject_hashes(plan: IngestPlan, secret: str) -> dict[str, str]:
    """identity hash -> its keyed subject hash, for the accepted profiles (pure)."""
    return {p.identity_hash: subject_hash(secret, p.identity_hash) for p in plan.accepted}


def without_suppressed(plan: IngestPlan, submissions: Sequence[Mapping[str, Any]],
                       subjects: Mapping[str, str], suppressed: set[str]) -> IngestPlan:
    """The plan with every accepted profile of a forgotten identity moved to the rejects
    (reason `suppressed`), in the batch's order (pure)."""
    if not suppressed:
        return plan
    by_id = {str(s.get("submission_id") or ""): s for s in submissions}
    kept = [p for p in plan.accepted if subjects[p.identity_hash] not in suppressed]
    refused = [RejectedSubmission(by_id[p.submission_id],
                                  Rejection(SUPPRESSED, "this identity asked to be forgotten"))
               for p in plan.accepted if subjects[p.identity_hash] in suppressed]
    return IngestPlan(kept, plan.rejected + refused)


def observe(state: ProfileState | None, profile: CleanProfile) -> tuple[str, ProfileState | None]:
    """What one observation does to its profile's state: the outcome and the new state, if any."""
    if state is None:
        return STORED, ProfileState(1, profile.collected_at, profile.content_hash)
    if precedence(profile.collected_at, profile.content_hash) <= precedence(
        state.collected_at, state.content_hash
    ):
        return DUPLICATE, None
    if profile.content_hash == state.content_hash:
        return REFRESHED, ProfileState(state.version, profile.collected_at, state.content_hash)
    return NEW_VERSION, ProfileState(state.version + 1, profile.collected_at, profile.content_hash)


def decide_batch(
    observations: Sequence[CleanProfile], current: Mapping[str, ProfileState]
) -> BatchDecision:
    """Apply the observations one at a time in order to the stored states (pure)."""
    states = dict(current)
    holders: dict[str, CleanProfile] = {}
    decision = BatchDecision(list(observations), [])
    for profile in observations:
        outcome, state = observe(states.get(profile.profile_id), profile)
        decision.outcomes.append(outcome)
        if state is not None:
            states[profile.profile_id] = state
        if outcome in (STORED, NEW_VERSION) and state is not None:
            holders[profile.profile_id] = profile
            decision.versions.append((profile, state.version))
    for profile_id in dict.fromkeys(p.profile_id for p in observations):
        state = states[profile_id]
        if profile_id in holders:
            decision.rows.append(RowWrite(holders[profile_id], state.version, state.collected_at))
        else:
            moved = state.collected_at != current[profile_id].collected_at
            decision.touched[profile_id] = state.collected_at if moved else None
    return decision


def split_fresh(
    profiles: Sequence[CleanProfile], fresh_submission_ids: set[str]
) -> tuple[list[CleanProfile], list[CleanProfile]]:
    """(applied for the first time, applied before) in the batch's order."""
    fresh = [p for p in profiles if p.submission_id in fresh_submission_ids]
    return fresh, [p for p in profiles if p.submission_id not in fresh_submission_ids]


def versions_made_by(
    replayed: Sequence[CleanProfile], made: Iterable[tuple[str, str, int]]
) -> list[tuple[CleanProfile, int]]:
    """The versions redelivered observations made, from stored (profile, submission, version)."""
    by_key = {(p.profile_id, p.submission_id): p for p in replayed}
    return sorted(
        ((by_key[(pid, sid)], version) for pid, sid, version in made if (pid, sid) in by_key),
        key=lambda item: (item[0].profile_id, item[1]),
    )


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
    plan: IngestPlan, decision: BatchDecision, fresh_submission_ids: set[str]
) -> dict[str, dict[str, int]]:
    """Per-job counters for submissions applied for the first time.

    Every received row is exactly one of stored, duplicates or rejected; a new version of a
    known profile counts as a duplicate and as a new version.
    """
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def bump(job_id: str, *names: str) -> None:
        for name in names:
            counts[job_id][name] += 1

    for item in plan.rejected:
        if item.submission["submission_id"] in fresh_submission_ids:
            bump(item.submission["job_id"], "received", "rejected")
    for profile, outcome in zip(decision.observations, decision.outcomes, strict=True):
        bump(profile.job_id, "received", *_COUNTED_AS[outcome])
        if profile.contact_data_removed:
            bump(profile.job_id, "contact_data_removed")
    return {job: dict(values) for job, values in counts.items()}

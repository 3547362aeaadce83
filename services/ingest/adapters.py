"""Tier 1 writes for ingest: lock and read a batch's profiles, then one statement per write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.ingest.batch import (
    BatchDecision,
    ProfileState,
    RowWrite,
    decide_batch,
    split_fresh,
    versions_made_by,
)
from services.ingest.domain import CleanProfile

# Every ingest transaction takes one lock per profile of its batch, in a fixed order, before
# reading their rows: a profile that is not stored yet has no row to lock FOR UPDATE.
_LOCK_PROFILES = """
SELECT count(pg_advisory_xact_lock(hashtext('sxp-ingest-profile'), k))
FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS id ORDER BY k) AS keys
"""

_CURRENT_STATES = """
SELECT profile_id::text, version, collected_at, content_hash FROM social.raw_social_profiles
WHERE profile_id = ANY($1::uuid[])
"""

# The decision was made under the locks above, so a row is written as decided.
_WRITE_ROWS = """
INSERT INTO social.raw_social_profiles AS p (
    profile_id, identity_hash, platform, username, display_name, bio, followers, following,
    posts, verified, profile_url, external_url, category, location, collected_at, source,
    job_id, content_hash, contact_data_removed, last_change_submission_id, version
)
SELECT * FROM unnest(
    $1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
    $8::bigint[], $9::bigint[], $10::boolean[], $11::text[], $12::text[], $13::text[],
    $14::text[], $15::timestamptz[], $16::text[], $17::text[], $18::text[], $19::boolean[],
    $20::text[], $21::int[]
)
ON CONFLICT (profile_id) DO UPDATE SET
    display_name = EXCLUDED.display_name, bio = EXCLUDED.bio, followers = EXCLUDED.followers,
    following = EXCLUDED.following, posts = EXCLUDED.posts, verified = EXCLUDED.verified,
    profile_url = EXCLUDED.profile_url, external_url = EXCLUDED.external_url,
    category = EXCLUDED.category, location = EXCLUDED.location,
    collected_at = EXCLUDED.collected_at, source = EXCLUDED.source, job_id = EXCLUDED.job_id,
    content_hash = EXCLUDED.content_hash, contact_data_removed = EXCLUDED.contact_data_removed,
    last_change_submission_id = EXCLUDED.last_change_submission_id,
    version = EXCLUDED.version, last_seen = now()
"""

# Seen without a content change: last_seen moves, and collected_at when a newer copy came.
_TOUCH_UNCHANGED = """
UPDATE social.raw_social_profiles AS p
SET last_seen = now(), collected_at = coalesce(t.collected_at, p.collected_at)
FROM unnest($1::uuid[], $2::timestamptz[]) AS t (profile_id, collected_at)
WHERE p.profile_id = t.profile_id
"""

_INSERT_VERSIONS = """
INSERT INTO social.raw_social_profile_versions (profile_id, version, content_hash, submission_id,
job_id)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[])
ON CONFLICT DO NOTHING
"""

# The versions that redelivered submissions created when they were first applied.
_VERSIONS_MADE_BY = """
SELECT profile_id::text, submission_id, version FROM social.raw_social_profile_versions
WHERE profile_id = ANY($1::uuid[]) AND submission_id = ANY($2::text[])
"""

_ADD_JOB_COUNTS = """
INSERT INTO ops.ingest_job_counts AS c
    (job_id, received, stored, new_versions, duplicates, rejected, contact_data_removed)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
                     $6::bigint[], $7::bigint[])
ON CONFLICT (job_id) DO UPDATE SET
    received = c.received + EXCLUDED.received, stored = c.stored + EXCLUDED.stored,
    new_versions = c.new_versions + EXCLUDED.new_versions,
    duplicates = c.duplicates + EXCLUDED.duplicates, rejected = c.rejected + EXCLUDED.rejected,
    contact_data_removed = c.contact_data_removed + EXCLUDED.contact_data_removed,
    updated_at = now()
"""


@dataclass(frozen=True)
class AppliedBatch:
    """What applying a batch did, and every profile version to announce downstream."""

    decision: BatchDecision
    announce: list[tuple[CleanProfile, int]]


async def apply_profiles(
    conn: asyncpg.Connection, profiles: Sequence[CleanProfile], fresh_submission_ids: set[str]
) -> AppliedBatch:
    """Lock and read the batch's profiles, decide in order, write rows and versions."""
    fresh, replayed = split_fresh(profiles, fresh_submission_ids)
    ids = sorted({p.profile_id for p in profiles})
    if not ids:
        return AppliedBatch(decide_batch([], {}), [])
    await conn.fetchval(_LOCK_PROFILES, ids)
    current = {
        r["profile_id"]: ProfileState(r["version"], r["collected_at"], r["content_hash"])
        for r in await conn.fetch(_CURRENT_STATES, ids)
    }
    decision = decide_batch(fresh, current)
    await _write(conn, decision)
    # A redelivered batch was applied before; only its announcements may have been lost.
    made = await _versions_made_by(conn, replayed) if replayed else []
    return AppliedBatch(decision, made + decision.versions)


async def _write(conn: asyncpg.Connection, decision: BatchDecision) -> None:
    """Write the decided rows, touches and version rows, one statement each."""
    if decision.rows:
        columns = list(zip(*(_row(w) for w in decision.rows), strict=True))
        await conn.execute(_WRITE_ROWS, *columns)
    if decision.touched:
        touched = decision.touched
        await conn.execute(_TOUCH_UNCHANGED, list(touched), list(touched.values()))
    if decision.versions:
        await conn.execute(
            _INSERT_VERSIONS,
            *map(list, zip(*((p.profile_id, v, p.content_hash, p.submission_id, p.job_id)
                             for p, v in decision.versions), strict=True)),
        )


async def _versions_made_by(
    conn: asyncpg.Connection, replayed: Sequence[CleanProfile]
) -> list[tuple[CleanProfile, int]]:
    """The stored versions whose submission is one of the redelivered ones."""
    rows = await conn.fetch(_VERSIONS_MADE_BY, sorted({p.profile_id for p in replayed}),
                            sorted({p.submission_id for p in replayed}))
    return versions_made_by(replayed, [(r["profile_id"], r["submission_id"], r["version"])
                                       for r in rows])


def _row(w: RowWrite) -> tuple[object, ...]:
    p = w.profile
    return (
        p.profile_id, p.identity_hash, p.platform, p.username, p.display_name, p.bio,
        p.followers, p.following, p.posts, p.verified, p.profile_url, p.external_url,
        p.category, p.location, w.collected_at, p.source, p.job_id, p.content_hash,
        p.contact_data_removed, p.submission_id, w.version,
    )


async def add_job_counts(conn: asyncpg.Connection, counts: dict[str, dict[str, int]]) -> None:
    """Add this batch's per-job counters (only for records applied for the first time)."""
    if not counts:
        return
    jobs = list(counts)
    fields = ("received", "stored", "new_versions", "duplicates", "rejected",
              "contact_data_removed")
    await conn.execute(
        _ADD_JOB_COUNTS, jobs, *[[counts[j].get(f, 0) for j in jobs] for f in fields]
    )


async def suppressed_subjects(conn: asyncpg.Connection, subjects: Sequence[str]) -> set[str]:
    """Which of these keyed subject hashes are on the suppression list."""
    if not subjects:
        return set()
    rows = await conn.fetch("""SELECT subject_hash FROM compliance.suppressions
                               WHERE subject_hash = ANY($1::text[])""", list(subjects))
    return {r["subject_hash"] for r in rows}

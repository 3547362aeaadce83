"""Tier 1 writes for ingest: batched upserts keyed by profile id, one statement each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.ingest.domain import CleanProfile

_UPSERT_CHANGED = """
INSERT INTO social.raw_social_profiles AS p (
    profile_id, identity_hash, platform, username, display_name, bio, followers, following,
    posts, verified, profile_url, external_url, category, location, collected_at, source,
    job_id, content_hash, contact_data_removed, last_change_submission_id
)
SELECT * FROM unnest(
    $1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
    $8::bigint[], $9::bigint[], $10::boolean[], $11::text[], $12::text[], $13::text[],
    $14::text[], $15::timestamptz[], $16::text[], $17::text[], $18::text[], $19::boolean[],
    $20::text[]
)
ON CONFLICT (profile_id) DO UPDATE SET
    display_name = EXCLUDED.display_name, bio = EXCLUDED.bio, followers = EXCLUDED.followers,
    following = EXCLUDED.following, posts = EXCLUDED.posts, verified = EXCLUDED.verified,
    profile_url = EXCLUDED.profile_url, external_url = EXCLUDED.external_url,
    category = EXCLUDED.category, location = EXCLUDED.location,
    collected_at = EXCLUDED.collected_at, source = EXCLUDED.source, job_id = EXCLUDED.job_id,
    content_hash = EXCLUDED.content_hash, contact_data_removed = EXCLUDED.contact_data_removed,
    last_change_submission_id = EXCLUDED.last_change_submission_id,
    version = p.version + 1, last_seen = now()
WHERE p.content_hash <> EXCLUDED.content_hash AND (
    -- An older observation never overrides a newer one, so re-publishing a file whose
    -- rows hold two versions of a profile changes nothing. Without both timestamps,
    -- a content hash seen before for this profile is a re-observation, not a change.
    CASE WHEN EXCLUDED.collected_at IS NOT NULL AND p.collected_at IS NOT NULL
         THEN EXCLUDED.collected_at > p.collected_at
         ELSE NOT EXISTS (
             SELECT 1 FROM social.raw_social_profile_versions v
             WHERE v.profile_id = p.profile_id AND v.content_hash = EXCLUDED.content_hash)
    END)
RETURNING profile_id::text, version, (xmax = 0) AS inserted
"""

# Unchanged profiles: only last_seen moves. The returned submission id tells a
# redelivery of the message that created the current version apart from a duplicate.
_TOUCH_UNCHANGED = """
UPDATE social.raw_social_profiles SET last_seen = now()
WHERE profile_id = ANY($1::uuid[])
RETURNING profile_id::text, version, last_change_submission_id
"""

_INSERT_VERSIONS = """
INSERT INTO social.raw_social_profile_versions (profile_id, version, content_hash, submission_id, job_id)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[])
ON CONFLICT DO NOTHING
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
class StoredVersion:
    """What the upsert did to one profile."""

    profile_id: str
    version: int
    outcome: str  # "stored" (new), "new_version", "unchanged", "redelivered"


async def upsert_profiles(
    conn: asyncpg.Connection, profiles: Sequence[CleanProfile]
) -> list[StoredVersion]:
    """Insert new profiles, version changed ones, touch unchanged ones; one row per input."""
    if not profiles:
        return []
    columns = list(zip(*(_row(p) for p in profiles), strict=True))
    changed = {
        r["profile_id"]: StoredVersion(
            r["profile_id"], r["version"], "stored" if r["inserted"] else "new_version"
        )
        for r in await conn.fetch(_UPSERT_CHANGED, *columns)
    }
    by_id = {p.profile_id: p for p in profiles}
    unchanged_ids = [pid for pid in by_id if pid not in changed]
    results = dict(changed)
    if unchanged_ids:
        for r in await conn.fetch(_TOUCH_UNCHANGED, unchanged_ids):
            same_message = r["last_change_submission_id"] == by_id[r["profile_id"]].submission_id
            outcome = "redelivered" if same_message else "unchanged"
            results[r["profile_id"]] = StoredVersion(r["profile_id"], r["version"], outcome)
    if changed:
        versions = [changed[pid] for pid in changed]
        await conn.execute(
            _INSERT_VERSIONS,
            [v.profile_id for v in versions],
            [v.version for v in versions],
            [by_id[v.profile_id].content_hash for v in versions],
            [by_id[v.profile_id].submission_id for v in versions],
            [by_id[v.profile_id].job_id for v in versions],
        )
    return [results[p.profile_id] for p in profiles]


def _row(p: CleanProfile) -> tuple[object, ...]:
    return (
        p.profile_id, p.identity_hash, p.platform, p.username, p.display_name, p.bio,
        p.followers, p.following, p.posts, p.verified, p.profile_url, p.external_url,
        p.category, p.location, p.collected_at, p.source, p.job_id, p.content_hash,
        p.contact_data_removed, p.submission_id,
    )


async def add_job_counts(conn: asyncpg.Connection, counts: dict[str, dict[str, int]]) -> None:
    """Add this batch's per-job counters (only for records applied for the first time)."""
    if not counts:
        return
    jobs = list(counts)
    fields = ("received", "stored", "new_versions", "duplicates", "rejected", "contact_data_removed")
    await conn.execute(
        _ADD_JOB_COUNTS, jobs, *[[counts[j].get(f, 0) for j in jobs] for f in fields]
    )

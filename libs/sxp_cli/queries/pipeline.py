"""Reads of how far a publish job has come: ingest's counts, cards made and labeled."""

from __future__ import annotations

from typing import Any

import asyncpg

_PIPELINE_STATE = """
SELECT
  (SELECT coalesce(sum(received), 0) FROM ops.ingest_job_counts WHERE job_id = $1) AS received,
  (SELECT count(*) FROM social.raw_social_profiles) AS profiles,
  (SELECT count(*) FROM execution.lead_cards) AS cards,
  (SELECT count(*) FROM execution.lead_cards
   WHERE labeled_profile_version = profile_version) AS labeled,
  (SELECT count(*) FROM execution.lead_cards
   WHERE persona IS NOT NULL AND tribe IS NOT NULL) AS covered
"""


async def pipeline_state(conn: asyncpg.Connection, job_id: str) -> dict[str, int]:
    """Counts that tell whether a publish job has drained through every stage."""
    return dict(await conn.fetchrow(_PIPELINE_STATE, job_id))


async def job_counts(conn: asyncpg.Connection, job_id: str) -> dict[str, Any]:
    """What ingest counted for one publish job ({} before it saw any row)."""
    row = await conn.fetchrow("SELECT * FROM ops.ingest_job_counts WHERE job_id = $1", job_id)
    return dict(row) if row else {}

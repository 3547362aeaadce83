"""Audience membership over many cards: the two set-based statements, full and incremental.

`python bench/audience_sql_bench.py --cards 1000000` against the Postgres of a running
stack (SXP_DATABASE_URL; default the bench stack's). It inserts synthetic profiles and
lead cards (job `audience-bench`, removed again at the end), then times, for two example
audiences, sizing (count), the full admit + evict on a scratch members table (the table
of services/audience/DESIGN.md until its migration), a re-run that writes nothing, and
the incremental statements over 1,000 relabeled cards, with whether their plan scans
lead_cards. No profile text comes from the corpus: bios are a handful of fixed phrases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

import asyncpg

from sxp_common.audience_criteria import criteria_hash, parse_criteria
from sxp_common.audience_sql import count_query, membership_statements
from sxp_common.db import asyncpg_dsn

JOB = "audience-bench"
SCRATCH = "public.bench_audience_members"
AUDIENCE = "5d1f6a3e-4b1c-4c1e-9a51-0d1e5a7c0b01"
EXAMPLES: dict[str, dict[str, Any]] = {
    "fitness creators on TikTok, 10k-100k": {
        "platform": "tiktok", "persona": "creator", "tribe": "fitness_wellness",
        "followers": {"min": 10_000, "max": 100_000}},
    "real-estate agents in Texas": {
        "persona": "real_estate_agent", "location": ["texas", ", tx", "houston", "austin"]},
}
SEED = f"""
INSERT INTO social.raw_social_profiles (profile_id, identity_hash, platform, username, bio,
    followers, posts, verified, location, source, job_id, content_hash,
    last_change_submission_id)
SELECT md5('p' || i)::uuid, md5('h' || i), (ARRAY['tiktok','threads','x'])[1 + i % 3],
       'bench_' || i,
       (ARRAY['Strength coach, daily workouts', 'Realtor helping first-time buyers',
              'Founder building tools', 'Food creator and home cook', 'Yoga teacher',
              'Photographer and traveller', 'Just here for the memes'])[1 + i % 7],
       (i::bigint * 7919) % 2000000, i % 900, i % 50 = 0,
       (ARRAY['Austin, TX', 'Brooklyn, NY', 'Houston, TX', 'London', 'Miami, FL',
              'Dallas, Texas', NULL])[1 + i % 7],
       'bench', '{JOB}', md5('c' || i), 'bench'
FROM generate_series(1, $1::int) AS i;
INSERT INTO execution.lead_cards (lead_card_id, profile_id, profile_version, content_hash,
    job_id, platform, username, readiness, base_confidence, audience_pool, persona,
    persona_confidence, tribe, tribe_confidence, execution_label, execution_label_confidence)
SELECT md5('l' || i)::uuid, md5('p' || i)::uuid, 1, md5('c' || i), '{JOB}',
       (ARRAY['tiktok','threads','x'])[1 + i % 3], 'bench_' || i, 'LABELED', 0.5, 'bench',
       (ARRAY['creator', 'real_estate_agent', 'founder', 'coach', NULL])[1 + i % 5],
       (i % 100) / 100.0,
       (ARRAY['fitness_wellness', 'real_estate', 'startups_tech', NULL])[1 + i % 4],
       (i % 97) / 97.0,
       (ARRAY['USER', 'PARTNER', 'AFFILIATE', 'FEEDBACK'])[1 + i % 4], (i % 89) / 89.0
FROM generate_series(1, $1::int) AS i;
"""
SCRATCH_DDL = f"""CREATE TABLE {SCRATCH} (
    audience_id uuid NOT NULL, lead_card_id uuid NOT NULL, criteria_hash text NOT NULL,
    card_revision integer NOT NULL, joined_at timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (audience_id, lead_card_id))"""


async def _timed(conn: asyncpg.Connection, sql: str, *args: Any) -> tuple[str, float]:
    start = time.perf_counter()
    status = await conn.execute(sql, *args)
    return status, time.perf_counter() - start


def _scans(plan: Any, table: str = "lead_cards") -> list[str]:
    """The scan node types over `table` anywhere in an EXPLAIN (FORMAT JSON) plan."""
    found = []
    if isinstance(plan, dict):
        if plan.get("Relation Name") == table:
            found.append(plan["Node Type"])
        for value in plan.values():
            found.extend(_scans(value, table))
    elif isinstance(plan, list):
        for item in plan:
            found.extend(_scans(item, table))
    return found


async def _one_audience(conn: asyncpg.Connection, name: str, criteria: dict[str, Any],
                        cards: int) -> dict[str, Any]:
    node = parse_criteria(criteria)
    digest = criteria_hash(node)
    await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    await conn.execute(SCRATCH_DDL)
    sql, params = count_query(node)
    start = time.perf_counter()
    size = await conn.fetchval(sql, *params)
    sized_s = time.perf_counter() - start
    full = membership_statements(node, AUDIENCE, digest, SCRATCH)
    admitted, admit_s = await _timed(conn, full.admit, *full.admit_params)
    evicted, evict_s = await _timed(conn, full.evict, *full.evict_params)
    again, again_s = await _timed(conn, full.admit, *full.admit_params)
    changed = [str(r[0]) for r in await conn.fetch(
        "SELECT lead_card_id FROM execution.lead_cards WHERE job_id = $1 ORDER BY lead_card_id "
        "LIMIT 1000", JOB)]
    await conn.execute("UPDATE execution.lead_cards SET persona = CASE WHEN persona = 'creator' "
                       "THEN 'founder' ELSE 'creator' END WHERE lead_card_id = ANY($1::uuid[])",
                       changed)
    part = membership_statements(node, AUDIENCE, digest, SCRATCH, cards=changed)
    plans = [json.loads(await conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, *args))
             for sql, args in ((part.admit, part.admit_params), (part.evict, part.evict_params))]
    inc_admit, inc_admit_s = await _timed(conn, part.admit, *part.admit_params)
    inc_evict, inc_evict_s = await _timed(conn, part.evict, *part.evict_params)
    return {"audience": name, "cards": cards, "size": size, "count_s": round(sized_s, 3),
            "admit": admitted, "admit_s": round(admit_s, 3), "evict": evicted,
            "evict_s": round(evict_s, 3),
            "full_cards_per_s": round(cards / (admit_s + evict_s)),
            "rerun": again, "rerun_s": round(again_s, 3),
            "incremental_1000": [inc_admit, inc_evict],
            "incremental_s": round(inc_admit_s + inc_evict_s, 4),
            "incremental_lead_card_scans": _scans(plans)}


async def run(cards: int) -> list[dict[str, Any]]:
    url = os.environ.get("SXP_DATABASE_URL", "postgresql://sxp:sxp@127.0.0.1:55434/sxp")
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await _cleanup(conn)
        start = time.perf_counter()
        for statement in SEED.strip().split(";\n"):
            await conn.execute(statement.strip().rstrip(";"), cards)
        await conn.execute("ANALYZE social.raw_social_profiles; ANALYZE execution.lead_cards")
        seeded_s = time.perf_counter() - start
        results = [{"seeded_cards": cards, "seed_s": round(seeded_s, 1)}]
        for name, criteria in EXAMPLES.items():
            results.append(await _one_audience(conn, name, criteria, cards))
        return results
    finally:
        await _cleanup(conn)
        await conn.close()


async def _cleanup(conn: asyncpg.Connection) -> None:
    await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    await conn.execute("DELETE FROM execution.lead_cards WHERE job_id = $1", JOB)
    await conn.execute("DELETE FROM social.raw_social_profiles WHERE job_id = $1", JOB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.1f}")
    for line in asyncio.run(run(args.cards)):
        print(json.dumps(line))
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

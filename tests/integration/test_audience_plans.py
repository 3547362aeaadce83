"""Steady state reads no lead card and no profile by a sequential scan.

Measured on a database of its own on the slot's test Postgres, with 100,000 synthetic cards
(SQL-generated, no profile text from the corpus) and fresh statistics: the e2e stack holds a
few thousand cards, where the planner rightly prefers a sequential scan of a few pages to
any index, so its plans say nothing about an audience service at scale; and its
pg_stat_user_tables counters move with every other module's queries. Here the service's own
restricted statements (`membership_statements(..., cards=K, with_pool=True)`, as
services/audience/adapters.py runs them) are EXPLAINed and run batch after batch inside one
transaction, whose own counters (pg_stat_xact_user_tables) no other session can move.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from sxp_common.audience_criteria import criteria_hash, parse_criteria
from sxp_common.audience_sql import membership_statements
from sxp_common.db import asyncpg_dsn
from sxp_common.migrations import upgrade_database

pytestmark = pytest.mark.integration

DB = "sxp_audience_plans"
CARDS = 100_000
AUDIENCES: dict[str, dict[str, Any]] = {
    "bio term": {"bio": "coach"},
    "creators with 1k followers": {"persona": "creator", "followers": {"min": 1000}},
    "fitness creators on tiktok, 10k-100k": {
        "platform": "tiktok", "persona": "creator", "tribe": "fitness_wellness",
        "followers": {"min": 10_000, "max": 100_000}},
    "texas agents, not enriched": {"persona": "real_estate_agent", "location": ["texas", ", tx"],
                                   "enrichment_status": "NONE"},
}
SEED = """
INSERT INTO social.raw_social_profiles (profile_id, identity_hash, platform, username, bio,
    followers, posts, verified, location, source, job_id, content_hash,
    last_change_submission_id)
SELECT md5('p' || i)::uuid, md5('h' || i), (ARRAY['tiktok','threads','x'])[1 + i % 3],
       'plan_' || i,
       (ARRAY['Strength coach, daily workouts', 'Realtor helping first-time buyers',
              'Founder building tools', 'Food creator and home cook'])[1 + i % 4],
       (i::bigint * 7919) % 2000000, i % 900, i % 50 = 0,
       (ARRAY['Austin, TX', 'Brooklyn, NY', 'London', NULL])[1 + i % 4],
       'plan', 'plan', md5('c' || i), 'plan'
FROM generate_series(1, $1::int) AS i;
INSERT INTO execution.lead_cards (lead_card_id, profile_id, profile_version, content_hash,
    job_id, platform, username, readiness, base_confidence, audience_pool, persona,
    persona_confidence, tribe, tribe_confidence, execution_label, execution_label_confidence)
SELECT md5('l' || i)::uuid, md5('p' || i)::uuid, 1, md5('c' || i), 'plan',
       (ARRAY['tiktok','threads','x'])[1 + i % 3], 'plan_' || i, 'LABELED', 0.5,
       'x.unassigned.mid', (ARRAY['creator', 'real_estate_agent', 'founder', NULL])[1 + i % 4],
       0.7, (ARRAY['fitness_wellness', 'real_estate', NULL])[1 + i % 3], 0.6,
       (ARRAY['USER', 'PARTNER', 'AFFILIATE', 'FEEDBACK'])[1 + i % 4], 0.8
FROM generate_series(1, $1::int) AS i;
"""


async def _prepare(owner_url: str, url: str, service_password: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {DB}")
    finally:
        await conn.close()
    await asyncio.to_thread(upgrade_database, url, service_password)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(SEED.split(";")[0], CARDS)
        await conn.execute(SEED.split(";")[1], CARDS)
        for name, criteria in AUDIENCES.items():
            node = parse_criteria(criteria)
            await conn.execute(
                """INSERT INTO audience.audiences (audience_id, name, criteria, criteria_hash)
                   VALUES (md5($1)::uuid, md5($1), $2::jsonb, $3)""",
                name, json.dumps(criteria), criteria_hash(node))
            audience = await conn.fetchval("SELECT md5($1)::uuid::text", name)
            s = membership_statements(node, audience, criteria_hash(node), with_pool=True)
            await conn.execute(s.admit, *s.admit_params)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def plans_db(test_stack: Any) -> Iterator[str]:
    """A database migrated to head holding 100,000 cards and the members of four audiences."""
    url = urlunsplit(urlsplit(test_stack.database_url)._replace(path=f"/{DB}"))
    asyncio.run(_prepare(test_stack.database_url, url, test_stack.db_service_password))
    yield url


def card_id(n: int) -> str:
    """The id SEED gives card n: md5('l' || n)::uuid."""
    return str(uuid.UUID(hashlib.md5(f"l{n}".encode()).hexdigest()))


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in plan_nodes(child))]


async def _restricted_runs(url: str, batches: list[list[str]]) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    transaction = conn.transaction()
    await transaction.start()
    counters = """SELECT relname, seq_scan, idx_scan FROM pg_stat_xact_user_tables
                  WHERE relname IN ('lead_cards', 'raw_social_profiles') ORDER BY relname"""
    scanned: list[tuple[str, str]] = []
    try:
        start = [tuple(r) for r in await conn.fetch(counters)]
        for name, criteria in AUDIENCES.items():
            node = parse_criteria(criteria)
            audience = await conn.fetchval("SELECT md5($1)::uuid::text", name)
            for cards in batches:
                s = membership_statements(node, audience, criteria_hash(node), cards=cards,
                                          with_pool=True)
                for sql, params in ((s.admit, s.admit_params), (s.evict, s.evict_params)):
                    plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}",
                                                          *params))[0]["Plan"]
                    scanned += [(name, n.get("Relation Name", "")) for n in plan_nodes(plan)
                                if n["Node Type"] == "Seq Scan"]
                    await conn.execute(sql, *params)
        end = [tuple(r) for r in await conn.fetch(counters)]
    finally:
        await transaction.rollback()
        await conn.close()
    return {"seq_scan_plans": scanned, "start": start, "end": end}


def test_the_restricted_statements_look_cards_and_profiles_up_by_key_only(plans_db: str) -> None:
    batches = [[card_id(n) for n in range(first, first + 50)] for first in range(1, 1001, 50)]
    found = asyncio.run(_restricted_runs(plans_db, batches))
    tables = {"lead_cards", "raw_social_profiles"}
    assert not [s for s in found["seq_scan_plans"] if s[1] in tables], found["seq_scan_plans"]
    start = {r[0]: r for r in found["start"]}
    end = {r[0]: r for r in found["end"]}
    # 20 batches of 50 relabeled cards for four audiences: not one sequential scan, and the
    # cards were read, by index.
    assert end["lead_cards"][1] == start["lead_cards"][1]
    assert end["raw_social_profiles"][1] == start["raw_social_profiles"][1]
    assert end["lead_cards"][2] > start["lead_cards"][2]

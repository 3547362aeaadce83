"""The audience service at scale: create over N synthetic cards, then a stream of label changes.

Runs on the bench stack (bench_stack.fresh_stack: Kafka, Postgres, migrations; only the
audience service is started). It seeds N profiles and lead cards by SQL (fixed phrases, no
corpus text), then:

1. creates an audience through the command topic, as `sxp audience create` does, and times
   send → answer (cards/s = N / that time). Limit: the audience's count query alone on the
   same cards, the read any create must do.
2. changes labels on a steady stream: every PERIOD_S, BATCH cards that did not match get the
   audience's persona (revision + 1, committed as the labeler commits) and a
   sxp.leadcards.labeled.v1 event each; latency per card = its `joined_at` (the service's
   transaction time) minus the label commit. Limit: the restricted statements for a batch
   run directly in SQL (the database floor of the Kafka + service path).

`python bench/audience_bench.py [--cards 1000000] [--batches 40] [--port-offset N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import bench_stack

CRITERIA = {"persona": "creator", "followers": {"min": 1000}}
BATCH, PERIOD_S = 50, 0.25
SEED = """
INSERT INTO social.raw_social_profiles (profile_id, identity_hash, platform, username, bio,
    followers, posts, verified, location, source, job_id, content_hash,
    last_change_submission_id)
SELECT md5('p' || i)::uuid, md5('h' || i), (ARRAY['tiktok','threads','x'])[1 + i % 3],
       'bench_' || i, (ARRAY['Strength coach, daily workouts', 'Founder building tools',
       'Food creator and home cook'])[1 + i % 3], (i::bigint * 7919) % 2000000, i % 900,
       i % 50 = 0, (ARRAY['Austin, TX', 'London', NULL])[1 + i % 3], 'bench', 'bench',
       md5('c' || i), 'bench'
FROM generate_series(1, $1::int) AS i
;
INSERT INTO execution.lead_cards (lead_card_id, profile_id, profile_version, content_hash,
    job_id, platform, username, readiness, base_confidence, audience_pool, persona,
    persona_confidence, tribe, tribe_confidence, execution_label, execution_label_confidence,
    labeled_at)
SELECT md5('l' || i)::uuid, md5('p' || i)::uuid, 1, md5('c' || i), 'bench',
       (ARRAY['tiktok','threads','x'])[1 + i % 3], 'bench_' || i, 'LABELED', 0.5,
       (ARRAY['tiktok','threads','x'])[1 + i % 3] || '.unassigned.mid',
       (ARRAY['creator', 'founder', 'coach', NULL])[1 + i % 4], 0.7,
       (ARRAY['fitness_wellness', 'startups_tech', NULL])[1 + i % 3], 0.6,
       (ARRAY['USER', 'PARTNER', 'AFFILIATE', 'FEEDBACK'])[1 + i % 4], 0.8, now()
FROM generate_series(1, $1::int) AS i
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def labeled_event(row: Any, now: datetime) -> dict[str, Any]:
    """The labeler's event for a card that became a creator."""
    return {"lead_card_id": str(row["lead_card_id"]), "profile_id": str(row["profile_id"]),
            "profile_version": 1, "job_id": "bench", "readiness": "LABELED",
            "platform": row["platform"], "base_confidence": 0.5,
            "audience_pool": row["audience_pool"], "taxonomy_version": "v1",
            "persona": {"id": "creator", "confidence": 0.9, "evidence": ["bench"]},
            "tribe": None, "industry": None, "execution_label": None, "labeled_at": now}


async def create_audience(settings: Any, cards: int) -> dict[str, Any]:
    import asyncpg

    from sxp_common import audience_commands
    from sxp_common.audience_criteria import parse_criteria
    from sxp_common.audience_sql import count_query
    from sxp_common.db import asyncpg_dsn
    from sxp_common.kafka import make_broker

    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    broker = make_broker(settings, "bench")
    await broker.connect()
    try:
        sql, params = count_query(parse_criteria(CRITERIA))
        start = time.perf_counter()
        size = await conn.fetchval(sql, *params)
        count_s = time.perf_counter() - start
        record = audience_commands.command_record(
            "CREATE", "bench-creators", requested_by="bench", criteria_json=json.dumps(CRITERIA))
        start = time.perf_counter()
        answer = await audience_commands.send_and_wait(broker, conn, record, timeout_s=900)
        create_s = time.perf_counter() - start
    finally:
        await broker.stop()
        await conn.close()
    assert answer is not None and answer.outcome == "created", answer
    return {"cards": cards, "members": answer.detail["members"], "size": size,
            "create_s": round(create_s, 2), "create_cards_per_s": round(cards / create_s),
            "limit_count_s": round(count_s, 2), "limit_cards_per_s": round(cards / count_s)}


async def _floor(conn: Any, audience_id: str, batches: int) -> list[float]:
    """The restricted statements alone for batches of not-yet-members (rolled back)."""
    from sxp_common.audience_criteria import criteria_hash, parse_criteria
    from sxp_common.audience_sql import membership_statements

    node = parse_criteria(CRITERIA)
    times = []
    for n in range(batches):
        ids = [str(r[0]) for r in await conn.fetch(
            "SELECT lead_card_id FROM execution.lead_cards WHERE persona = 'coach' "
            "ORDER BY lead_card_id DESC OFFSET $1 LIMIT $2", n * BATCH, BATCH)]
        s = membership_statements(node, audience_id, criteria_hash(node), cards=ids,
                                  with_pool=True)
        transaction = conn.transaction()
        await transaction.start()
        try:
            start = time.perf_counter()
            await conn.execute(s.admit, *s.admit_params)
            await conn.execute(s.evict, *s.evict_params)
            times.append(time.perf_counter() - start)
        finally:
            await transaction.rollback()
    return times


async def label_stream(settings: Any, batches: int) -> dict[str, Any]:
    import asyncpg

    from sxp_common.db import asyncpg_dsn
    from sxp_common.kafka import make_broker, outgoing, publish_all
    from sxp_common.topics import LEADCARDS_LABELED

    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    broker = make_broker(settings, "bench")
    await broker.connect()
    changed_at: dict[str, float] = {}
    try:
        audience_id = await conn.fetchval(
            "SELECT audience_id::text FROM audience.audiences WHERE name = 'bench-creators'")
        for _ in range(batches):
            tick = time.perf_counter()
            async with conn.transaction():
                rows = await conn.fetch(
                    """UPDATE execution.lead_cards c SET persona = 'creator',
                           revision = revision + 1, labeled_at = now()
                       FROM (SELECT lead_card_id FROM execution.lead_cards
                             WHERE persona = 'coach' ORDER BY lead_card_id
                             LIMIT $1) x
                       WHERE c.lead_card_id = x.lead_card_id
                       RETURNING c.lead_card_id, c.profile_id, c.platform, c.audience_pool""",
                    BATCH)
            committed = time.time()
            now = datetime.now(UTC)
            await publish_all(broker, [outgoing(LEADCARDS_LABELED, str(r["lead_card_id"]),
                                                labeled_event(r, now)) for r in rows])
            changed_at.update({str(r["lead_card_id"]): committed for r in rows})
            await asyncio.sleep(max(0.0, PERIOD_S - (time.perf_counter() - tick)))
        # Only cards with 1,000 followers or more can join (the criteria's follower floor).
        expected = await conn.fetchval(
            """SELECT count(*) FROM execution.lead_cards c
               JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
               WHERE c.lead_card_id = ANY($1::uuid[]) AND p.followers >= 1000""",
            list(changed_at))
        deadline = time.monotonic() + 300
        joined: dict[str, float] = {}
        while time.monotonic() < deadline:
            rows = await conn.fetch(
                """SELECT m.lead_card_id::text AS id, extract(epoch FROM m.joined_at) AS t
                   FROM audience.members m
                   WHERE m.audience_id = $1::uuid AND m.lead_card_id = ANY($2::uuid[])""",
                audience_id, list(changed_at))
            joined = {r["id"]: float(r["t"]) for r in rows}
            if len(joined) >= expected:
                break
            await asyncio.sleep(0.5)
        floor = await _floor(conn, audience_id, min(batches, 20))
    finally:
        await broker.stop()
        await conn.close()
    latencies = [max(0.0, joined[c] - t) for c, t in changed_at.items() if c in joined]
    return {"label_changes": len(changed_at), "joined": len(latencies),
            "p50_s": round(statistics.median(latencies), 3),
            "p99_s": round(pct(latencies, 0.99), 3),
            "limit_statements_p50_s": round(statistics.median(floor), 4),
            "limit_statements_p99_s": round(pct(floor, 0.99), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--port-offset", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()
    bench_stack.set_port_offset(args.port_offset)
    print(f"load before: {os.getloadavg()[0]:.1f}")
    with bench_stack.fresh_stack(keep=args.keep) as settings:
        import asyncpg

        from sxp_cli.processes import start_instance
        from sxp_common.db import asyncpg_dsn

        async def seed() -> float:
            conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
            try:
                start = time.perf_counter()
                for statement in SEED.split("\n;\n"):
                    await conn.execute(statement, args.cards)
                await conn.execute("ANALYZE")
                return time.perf_counter() - start
            finally:
                await conn.close()

        print(json.dumps({"seeded_cards": args.cards, "seed_s": round(asyncio.run(seed()), 1)}))
        start_instance(settings, "audience", 1)
        created = asyncio.run(create_audience(settings, args.cards))
        print(json.dumps(created))
        stream = asyncio.run(label_stream(settings, args.batches))
        print(json.dumps(stream))
    print(f"{'measure':<34}{'measured':>14}{'limit':>14}{'ratio':>8}")
    print(f"{'create (cards/s)':<34}{created['create_cards_per_s']:>14,}"
          f"{created['limit_cards_per_s']:>14,}"
          f"{created['create_cards_per_s'] / created['limit_cards_per_s']:>8.2f}")
    for q in ("p50", "p99"):
        measured, limit = stream[f"{q}_s"], stream[f"limit_statements_{q}_s"]
        print(f"{'label change -> member ' + q + ' (s)':<34}{measured:>14.3f}{limit:>14.4f}"
              f"{(measured / limit if limit else 0):>8.1f}")
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

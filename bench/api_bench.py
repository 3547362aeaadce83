"""`make bench`, the API part: lead-card pages over a million cards, and ingest over HTTP.

On the bench's own stack (bench/bench_stack.py; --port-offset N moves its ports):

1. seeds --cards lead cards (default 1,000,000) and their Tier 1 profiles with two set-based
   INSERT ... SELECT FROM generate_series statements (no row by row), then ANALYZE;
2. starts the API (`python -m services.api`) as its own process on SXP_API_PORT, the rate
   limit raised out of the way (it is per key, and the bench has one key), and makes a key
   as a user does (`sxp api-keys create`);
3. runs bench/api_load.py in a second process, which drives the API with httpx and asyncio
   concurrency: `GET /v1/lead-cards` pages of 100 (first page, deep cursor pages at random
   depths, a filtered first page and filtered deep pages, an `updated_since` page), then
   `POST /v1/profiles` of NDJSON batches of 500 generated profiles;
4. prints each measure beside its limit, with ok or OVER/BELOW LIMIT, and the plan Postgres
   picks for each page (a sequential scan of lead_cards would not hold at a million cards).

Ingest is timed to the API's 202 answers (the profiles are on `sxp.profiles.submitted.v1`);
no pipeline service runs, so what follows the topic is pipeline_bench's part. Timing is never
asserted: the limits are printed beside the numbers, and the exit code says whether they held.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import bench_stack
import httpx

PAGE_P99_LIMIT_MS = 100.0  # per page of 100 cards, one request in flight at a time
INGEST_LIMIT_PER_S = 1_000.0
PAGE = 100
JOB = "api-bench"
API_PORT_BASE = 39180
FILTERED = {"platform": "tiktok", "execution_label": "PARTNER", "min_confidence": 0.5}
SEED = f"""
INSERT INTO social.raw_social_profiles (profile_id, identity_hash, platform, username, bio,
    followers, posts, verified, location, source, job_id, content_hash,
    last_change_submission_id)
SELECT md5('p' || i)::uuid, md5('h' || i), (ARRAY['tiktok','threads','x'])[1 + i % 3],
       'apibench_' || i,
       (ARRAY['Strength coach, daily workouts', 'Realtor helping first-time buyers',
              'Founder building tools', 'Food creator and home cook', 'Yoga teacher'])[1 + i % 5],
       (i::bigint * 7919) % 2000000, i % 900, i % 50 = 0,
       (ARRAY['Austin, TX', 'Brooklyn, NY', 'London', NULL])[1 + i % 4],
       'bench', '{JOB}', md5('c' || i), 'bench'
FROM generate_series(1, $1::int) AS i;
INSERT INTO execution.lead_cards (lead_card_id, profile_id, profile_version, content_hash,
    job_id, platform, username, readiness, base_confidence, audience_pool, persona,
    persona_confidence, tribe, tribe_confidence, execution_label, execution_label_confidence,
    label_evidence, taxonomy_version, labeled_profile_version, labeled_at, created_at,
    updated_at)
SELECT md5('l' || i)::uuid, md5('p' || i)::uuid, 1, md5('c' || i), '{JOB}',
       (ARRAY['tiktok','threads','x'])[1 + i % 3], 'apibench_' || i, 'LABELED', 0.5,
       (ARRAY['creators', 'agents', 'founders', 'coaches'])[1 + i % 4],
       (ARRAY['creator', 'real_estate_agent', 'founder', 'coach', NULL])[1 + i % 5],
       (i % 100) / 100.0,
       (ARRAY['fitness_wellness', 'real_estate', 'startups_tech', NULL])[1 + i % 4],
       (i % 97) / 97.0,
       (ARRAY['USER', 'PARTNER', 'AFFILIATE', 'FEEDBACK'])[1 + i % 4], (i % 89) / 89.0,
       '{{"persona": ["bio: bench"]}}'::jsonb, 'bench', 1, now(), now(),
       now() - make_interval(mins => i % 100000)
FROM generate_series(1, $1::int) AS i;
"""


def card_id(i: int) -> str:
    """The id the seed gives card i (md5('l' || i) as a uuid)."""
    return str(uuid.UUID(hashlib.md5(f"l{i}".encode()).hexdigest()))


async def seed(dsn: str, cards: int) -> float:
    """Insert the cards unless they are there already; the seconds it took (0: already)."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        have = await conn.fetchval("SELECT count(*) FROM execution.lead_cards WHERE job_id = $1",
                                   JOB)
        if have >= cards:
            return 0.0
        await conn.execute("DELETE FROM execution.lead_cards WHERE job_id = $1", JOB)
        await conn.execute("DELETE FROM social.raw_social_profiles WHERE job_id = $1", JOB)
        start = time.perf_counter()
        # The bench's own rows reference each other by construction: the per-row foreign key
        # triggers are skipped for this session (superuser only, as the bench stack's is).
        await conn.execute("SET session_replication_role = replica")
        for statement in SEED.strip().split(";\n"):
            await conn.execute(statement.strip().rstrip(";"), cards)
        await conn.execute("ANALYZE social.raw_social_profiles; ANALYZE execution.lead_cards")
        return time.perf_counter() - start
    finally:
        await conn.close()


def page_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Every filter of GET /v1/lead-cards (None where unset), as the router digests them."""
    names = ("platform", "persona", "tribe", "industry", "execution_label", "audience_pool",
             "readiness", "enrichment_status", "min_confidence", "updated_since")
    return {name: filters.get(name) for name in names}


def cursor(after: str, filters: dict[str, Any]) -> str:
    from services.api import domain

    return domain.encode_cursor(after, domain.filters_digest(page_filters(filters)))


def page_requests(filters: dict[str, Any], count: int, cards: int, deep: bool,
                  rng: random.Random) -> list[dict[str, Any]]:
    """`count` GETs of one page of 100: the first page, or after a card at a random depth."""
    requests = []
    for _ in range(count):
        params: dict[str, Any] = {**filters, "limit": PAGE}
        if deep:
            params["cursor"] = cursor(card_id(rng.randint(1, cards)), filters)
        requests.append({"method": "GET", "path": "/v1/lead-cards", "params": params})
    return requests


def plan(cards: int, requests: int, concurrencies: list[int], batches: int,
         since: str) -> list[dict[str, Any]]:
    """The load tool's scenarios, in order: every page scenario at each concurrency, then
    ingest at the highest."""
    rng = random.Random(7)
    recent = {"updated_since": since}
    pages: list[tuple[str, dict[str, Any], bool]] = [
        ("first page", {}, False), ("deep cursor pages", {}, True),
        ("filtered first page", FILTERED, False), ("filtered deep pages", FILTERED, True),
        ("updated_since, last 3 h", recent, False)]
    scenarios: list[dict[str, Any]] = [
        {"name": "warm-up", "concurrency": max(concurrencies),
         "requests": page_requests({}, 50, cards, True, rng)}]
    for concurrency in concurrencies:
        for name, filters, deep in pages:
            scenarios.append({"name": name, "concurrency": concurrency, "filters": filters,
                              "requests": page_requests(filters, requests, cards, deep, rng)})
    scenarios.append({"name": "POST /v1/profiles", "concurrency": max(concurrencies),
                      "ingest": {"batches": batches, "rows": 500, "seed": 11}})
    return scenarios


async def explain(dsn: str, filters: dict[str, Any], after: str | None) -> str:
    """The scan nodes over lead_cards in the plan of the API's page query."""
    import asyncpg

    from services.api.adapters import CardQuery, card_page_sql

    query_filters = dict(filters)
    if "updated_since" in query_filters:
        from datetime import datetime

        query_filters["updated_since"] = datetime.fromisoformat(filters["updated_since"])
    sql, args = card_page_sql(CardQuery(query_filters, after, PAGE, False))
    conn = await asyncpg.connect(dsn)
    try:
        found = json.loads(await conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, *args))
    finally:
        await conn.close()
    return ", ".join(_scans(found))


def _scans(plan: Any) -> list[str]:
    if isinstance(plan, dict):
        mine = [f"{plan['Node Type']}" + (f" ({plan['Index Name']})" if "Index Name" in plan
                                          else "")] if plan.get("Relation Name") == "lead_cards" \
            else []
        return mine + [s for value in plan.values() for s in _scans(value)]
    if isinstance(plan, list):
        return [s for item in plan for s in _scans(item)]
    return []


def start_api(settings: Any, port: int) -> Any:
    """The API as its own process (`sxp services` bookkeeping, so services_down stops it)."""
    from sxp_cli.processes import start_instance

    os.environ.update({"SXP_API_PORT": str(port), "SXP_API_RATE_PER_S": "1000000",
                       "SXP_API_RATE_BURST": "1000000"})
    instance = start_instance(settings, "api", 0)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return instance
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the API did not get ready; see {instance.log}")


def make_key() -> str:
    """A key with read and ingest, made as a user makes one."""
    made = subprocess.run([sys.executable, "-m", "sxp_cli.main", "api-keys", "create", "--scope",
                           "read", "--scope", "ingest", "--name", "api-bench", "--json"],
                          capture_output=True, text=True, timeout=120, check=True)
    key: str = json.loads(made.stdout)["key"]
    return key


def run_load(port: int, key: str, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """bench/api_load.py in a process of its own; its result line per scenario."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(scenarios, out)
    try:
        run = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("api_load.py")), "--url",
             f"http://127.0.0.1:{port}", "--plan", out.name], capture_output=True, text=True,
            timeout=1800, env={**os.environ, "SXP_API_KEY": key})
    finally:
        os.unlink(out.name)
    if run.returncode != 0:
        raise SystemExit(f"the load tool failed: {run.stderr[-2000:]}")
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def report(results: list[dict[str, Any]], plans: dict[str, str]) -> bool:
    """Print every measure beside its limit; True when every limit held."""
    header = (f"{'measure':<28}{'conc':>5}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'rate':>13}  {'limit':<22}verdict   plan over lead_cards")
    print(header)
    print("-" * len(header))
    held = True
    for r in results:
        if r["name"] == "warm-up":
            continue
        ingest = r["name"].startswith("POST")
        if ingest:
            rate = r["accepted"] / r["wall_s"] if r["wall_s"] else 0.0
            ok = rate >= INGEST_LIMIT_PER_S and r["errors"] == 0
            rate_text, limit = f"{rate:,.0f} prof/s", f">= {INGEST_LIMIT_PER_S:,.0f} profiles/s"
        elif r["concurrency"] == 1:
            rate = r["ok"] / r["wall_s"] if r["wall_s"] else 0.0
            ok = r["p99_ms"] < PAGE_P99_LIMIT_MS and r["errors"] == 0
            rate_text, limit = f"{rate:,.0f} req/s", f"p99 < {PAGE_P99_LIMIT_MS:.0f} ms"
        else:  # several in flight: the one process's throughput, queueing in the latency
            rate = r["ok"] / r["wall_s"] if r["wall_s"] else 0.0
            ok = r["errors"] == 0
            rate_text, limit = f"{rate:,.0f} req/s", "no errors (throughput)"
        held = held and ok
        print(f"{r['name']:<28}{r['concurrency']:>5}{r['requests']:>9}{r['errors']:>7}{r['p50_ms']:>9.1f}"
              f"{r['p99_ms']:>9.1f}{rate_text:>13}  {limit:<22}"
              f"{'ok' if ok else 'MISSED':<10}{plans.get(r['name'], '-')}")
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="GETs per page scenario")
    parser.add_argument("--concurrency", default="1,4",
                        help="requests in flight at once, a comma-separated list")
    parser.add_argument("--batches", type=int, default=40, help="POSTs of 500 profiles")
    parser.add_argument("--port-offset", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="leave the stack running (and "
                        "seeded: a next --keep run with as many cards does not seed again)")
    args = parser.parse_args()
    bench_stack.set_port_offset(args.port_offset)
    from datetime import UTC, datetime, timedelta

    from sxp_common.db import asyncpg_dsn

    with bench_stack.fresh_stack(offset=args.port_offset) if not args.keep \
            else _kept_stack(args.port_offset) as settings:
        dsn = asyncpg_dsn(settings.database_url)
        seeded_s = asyncio.run(seed(dsn, args.cards))
        since = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
        concurrencies = [int(c) for c in args.concurrency.split(",")]
        scenarios = plan(args.cards, args.requests, concurrencies, args.batches, since)
        plans = {s["name"]: asyncio.run(explain(
            dsn, s["filters"], card_id(args.cards // 2) if "deep" in s["name"] else None))
            for s in scenarios if "filters" in s}
        port = API_PORT_BASE + int(os.environ.get(bench_stack.PORT_OFFSET_ENV, "0"))
        start_api(settings, port)
        key = make_key()
        load = os.getloadavg()
        results = run_load(port, key, scenarios)
        seeded = f"seeded in {seeded_s:.1f} s" if seeded_s else "kept"
        after = os.getloadavg()[0]
        print(f"cards: {args.cards:,} ({seeded}); pages of {PAGE}; the load tool in a second "
              f"process; load average before {load[0]:.1f}, after {after:.1f}")
        held = report(results, plans)
    raise SystemExit(0 if held else 1)


def _kept_stack(offset: int | None) -> Any:
    """The bench stack as it is (started if it is not), left running."""
    from contextlib import contextmanager

    from sxp_cli.processes import services_down
    from sxp_stack.manager import stack_up

    @contextmanager
    def kept() -> Any:
        settings = bench_stack.bench_settings(offset)
        services_down(settings)
        stack_up(settings)
        yield settings
        services_down(settings)

    return kept()


if __name__ == "__main__":
    main()

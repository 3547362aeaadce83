"""The API bench's load tool: HTTP requests from a process of its own, with asyncio concurrency.

`SXP_API_KEY=KEY python bench/api_load.py --url URL --plan PLAN.json` runs each scenario of the plan
in turn and prints one JSON line per scenario: requests, errors, status counts, wall time,
latency p50/p99 in ms and, for `POST /v1/profiles`, the profiles the API accepted.

A scenario is {"name", "concurrency", "requests": [{"method", "path", "params", "body"}]} or,
for ingest, {"name", "concurrency", "ingest": {"batches", "rows", "seed"}}: NDJSON bodies of
generated profiles, made before the clock starts. Each request is sent once, by one of
`concurrency` workers taking the next from a shared queue; nothing is retried. It talks only
to the URL it is given (the bench's API on loopback), and stops when its list is done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs"))
REQUEST_TIMEOUT_S = 60.0


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(share * len(ordered) + 0.999999)))
    return ordered[rank - 1]


def ingest_requests(batches: int, rows: int, seed: int) -> list[dict[str, Any]]:
    """`batches` NDJSON bodies of `rows` generated profiles each, every profile different."""
    from sxp_cli.fixtures import generate_profiles

    profiles = generate_profiles(batches * rows, seed=seed)
    bodies = []
    for start in range(0, len(profiles), rows):
        body = "\n".join(json.dumps(p) for p in profiles[start:start + rows]) + "\n"
        bodies.append({"method": "POST", "path": "/v1/profiles", "body": body,
                       "headers": {"Content-Type": "application/x-ndjson"}})
    return bodies


async def run_scenario(url: str, key: str, scenario: dict[str, Any]) -> dict[str, Any]:
    """Send the scenario's requests with its concurrency; the measurements."""
    requests = scenario.get("requests") or ingest_requests(**scenario["ingest"])
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    accepted = 0
    items = 0
    limits = httpx.Limits(max_connections=scenario["concurrency"])
    headers = {"Authorization": f"Bearer {key}"}

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal accepted, items
        while not queue.empty():
            request = queue.get_nowait()
            start = time.perf_counter()
            try:
                answer = await http.request(
                    request.get("method", "GET"), request["path"],
                    params=request.get("params"), headers=request.get("headers"),
                    content=request.get("body"))
            except httpx.HTTPError:
                statuses[0] += 1
                continue
            latencies.append(time.perf_counter() - start)
            statuses[answer.status_code] += 1
            if answer.status_code in (200, 202):
                found = answer.json()
                accepted += int(found.get("accepted", 0))
                items += len(found.get("data", []))

    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits,
                                 timeout=REQUEST_TIMEOUT_S) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(scenario["concurrency"])))
        wall = time.perf_counter() - started
    ok = statuses[200] + statuses[202]
    return {"name": scenario["name"], "requests": len(requests), "ok": ok,
            "errors": len(requests) - ok, "statuses": {str(k): v for k, v in statuses.items()},
            "wall_s": wall, "p50_ms": 1000 * percentile(latencies, 0.50),
            "p99_ms": 1000 * percentile(latencies, 0.99), "accepted": accepted, "items": items,
            "concurrency": scenario["concurrency"]}


async def run_plan(url: str, key: str, plan: list[dict[str, Any]]) -> None:
    """Each scenario in turn, a JSON line of results after each."""
    for scenario in plan:
        print(json.dumps(await run_scenario(url, key, scenario)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(run_plan(args.url, os.environ["SXP_API_KEY"], json.loads(args.plan.read_text())))


if __name__ == "__main__":
    main()

"""`make bench`: end-to-end profiles per second, publish to labeled lead card, 10,000 profiles.

Runs on a stack of its own under .sxp/bench (ports 39092/55434/39500), started from empty
data so every profile takes the full insert path, and stopped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "SXP_HOME": str(ROOT / ".sxp" / "bench"),
    "SXP_CACHE_DIR": str(ROOT / ".sxp" / "cache"),
    "SXP_KAFKA_BOOTSTRAP": "127.0.0.1:39092",
    "SXP_DATABASE_URL": "postgresql://sxp:sxp@127.0.0.1:55434/sxp",
    "SXP_STACK_POSTGRES": "local",
    "SXP_S3_ENDPOINT": "http://127.0.0.1:39500",
    "SXP_APOLLO_BASE_URL": "http://127.0.0.1:39100",
    "SXP_SKIPTRACE_BASE_URL": "http://127.0.0.1:39101",
    "SXP_EXPORT_API_URL": "http://127.0.0.1:39102/v1/lead-batches",
    "SXP_LOG_LEVEL": "WARNING",
}


def main() -> None:
    """Run the benchmark and print one result line per measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--scale", action="append", default=[], help="SERVICE=N")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()
    os.environ.update(BENCH_ENV)

    from sxp_cli.demo import is_drained, pipeline_state
    from sxp_cli.fixtures_cmd import generate_file
    from sxp_cli.processes import parse_scale, services_down, services_up
    from sxp_cli.publish import publish_file
    from sxp_common.settings import Settings
    from sxp_stack.manager import stack_down, stack_up

    settings = Settings()
    services_down(settings)
    stack_down(settings)
    shutil.rmtree(settings.home / "data", ignore_errors=True)
    stack_up(settings)
    try:
        services_up(settings, parse_scale(args.scale))
        fixture = settings.home / "profiles.jsonl"
        generate_file(fixture, args.count, seed=7)
        started = time.monotonic()
        report = asyncio.run(publish_file(fixture, settings))
        published_at = time.monotonic()
        while True:
            state = asyncio.run(pipeline_state(settings, report.job_id))
            if is_drained(state, report.published):
                break
            if time.monotonic() - started > 600:
                raise SystemExit(f"bench: pipeline did not drain in 600 s: {state}")
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        print(f"profiles published:          {report.published}")
        print(f"lead cards labeled:          {state['labeled']}")
        print(f"publish only:                {report.published / (published_at - started):,.0f} "
              f"profiles/s")
        print(f"end to end (publish→labeled): {elapsed:.2f} s, {report.published / elapsed:,.0f} "
              f"profiles/s")
    finally:
        if not args.keep:
            services_down(settings)
            stack_down(settings)


if __name__ == "__main__":
    main()

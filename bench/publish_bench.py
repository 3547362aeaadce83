"""`sxp publish` against the producer alone, on the bench stack with no service running.

The publish half of `make bench` without the pipeline, so it can be repeated and profiled
quickly: the producer alone sends the fixture's records (bench/passthrough.py), then
`sxp publish`'s own code publishes the same file, alternately, `--rounds` times. With
`--profile FILE`, the last publish runs under pyinstrument and its profile is written as text.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from contextlib import nullcontext
from pathlib import Path

import bench_stack
from passthrough import create_topics, send_all, submission_payloads


def timed_publish(fixture: Path, settings: object, profile: Path | None) -> tuple[float, float]:
    """Seconds (wall, CPU) `publish_file` took for the whole fixture (under pyinstrument if
    `profile`)."""
    from sxp_cli.publish import publish_file

    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    started, cpu = time.monotonic(), time.process_time()
    asyncio.run(publish_file(fixture, settings))  # type: ignore[arg-type]
    took = time.monotonic() - started, time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=True, show_all=False))
    return took


def main() -> None:
    """Alternate the producer alone and `sxp publish`; print each round's rates and ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, default=None, help="pyinstrument text output")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    parser.add_argument("--reuse", action="store_true",
                        help="use the bench stack as it runs (an earlier --keep), no restart")
    parser.add_argument("--port-offset", type=int, default=None,
                        help="shift the bench stack's ports (default: SXP_BENCH_PORT_OFFSET or 0)")
    args = parser.parse_args()

    from sxp_cli.fixtures_cmd import generate_file

    stack = (nullcontext(bench_stack.bench_settings(args.port_offset)) if args.reuse
             else bench_stack.fresh_stack(args.keep, args.port_offset))
    with stack as settings:
        fixture = settings.home / "profiles.jsonl"
        generate_file(fixture, args.count, seed=7)
        payloads = submission_payloads(fixture)
        topic = f"bench.{uuid.uuid4().hex[:8]}.producer"
        asyncio.run(create_topics(settings.kafka_bootstrap, [topic]))
        print(f"{'round':<7}{'producer/s':>12}{'publish/s':>12}{'ratio':>8}"
              f"{'producer CPU µs/rec':>21}{'publish CPU µs/rec':>20}{'CPU ratio':>11}")
        for number in range(1, args.rounds + 1):
            cpu = time.process_time()
            producer_s = asyncio.run(send_all(settings.kafka_bootstrap, topic, payloads))
            producer_cpu = time.process_time() - cpu
            last = number == args.rounds
            publish_s, publish_cpu = timed_publish(fixture, settings,
                                                   args.profile if last else None)
            producer, publish = len(payloads) / producer_s, len(payloads) / publish_s
            per = 1e6 / len(payloads)
            print(f"{number:<7}{producer:>12,.0f}{publish:>12,.0f}{publish / producer:>8.2f}"
                  f"{producer_cpu * per:>21.1f}{publish_cpu * per:>20.1f}"
                  f"{producer_cpu / publish_cpu:>11.2f}")


if __name__ == "__main__":
    main()

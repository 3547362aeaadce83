"""`make bench`: the pipeline against the limit of its own Kafka client, in one run.

On a stack of its own under .sxp/bench (ports 39092/55434/39500, shifted by --port-offset),
started from empty data:

1. the limit, before any service runs: the producer alone, and a 3-hop passthrough
   (bench/passthrough.py: consume → produce in separate processes, no domain, no database);
2. the pipeline: every service up, `sxp publish` of the same 10,000 generated profiles,
   timed to the end of the publish, to every card labeled, and to every ready card exported.

Prints measured, limit, their ratio and the target, as records per second. The machine is
shared, so only the ratios of one run mean much; the raw numbers are printed beside them.
"""

from __future__ import annotations

import argparse
import time

import bench_stack
from passthrough import LimitRun, measure_limit, submission_payloads
from pipeline_run import PipelineRun, run_pipeline

PUBLISH_TARGET = 0.8
PIPELINE_TARGET = 0.7
SETTLE_S = 5.0  # services join their consumer groups before the publish starts


def rows(limit: LimitRun, run: PipelineRun) -> list[tuple[str, float, float, float | None]]:
    """(measure, measured records/s, limit records/s, target ratio) per line of the table."""
    producer = limit.records / limit.producer_s
    passthrough = limit.records / limit.passthrough_s
    return [
        ("sxp publish vs producer alone", run.published / run.publish_s, producer, PUBLISH_TARGET),
        ("publish → labeled vs 3-hop passthrough", run.published / run.labeled_s, passthrough,
         PIPELINE_TARGET),
        ("publish → exported vs 3-hop passthrough", run.published / run.exported_s, passthrough,
         None),
    ]


def print_table(limit: LimitRun, run: PipelineRun) -> bool:
    """Print the table; True when every measure with a target meets it."""
    print(f"records: {run.published:,} published, {run.labeled:,} cards labeled, "
          f"{run.exported:,} exported (queue)")
    print(f"raw: producer alone {limit.producer_s:.2f} s, passthrough {limit.passthrough_s:.2f} s, "
          f"publish {run.publish_s:.2f} s, to labeled {run.labeled_s:.2f} s, "
          f"to exported {run.exported_s:.2f} s")
    header = f"{'measure':<42}{'measured/s':>12}{'limit/s':>10}{'ratio':>8}{'target':>9}  verdict"
    print(header)
    print("-" * len(header))
    met = True
    for name, measured, limit_rate, target in rows(limit, run):
        ratio = measured / limit_rate
        ok = target is None or ratio >= target
        met = met and ok
        verdict = "-" if target is None else ("ok" if ok else "BELOW TARGET")
        target_text = f">= {target:.1f}" if target is not None else "-"
        print(f"{name:<42}{measured:>12,.0f}{limit_rate:>10,.0f}{ratio:>8.2f}{target_text:>9}  "
              f"{verdict}")
    return met


def main() -> None:
    """Measure the limit and the pipeline on a fresh bench stack and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--scale", action="append", default=[], help="SERVICE=N")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    parser.add_argument("--port-offset", type=int, default=None,
                        help="move every bench port up by N (default: $SXP_BENCH_PORT_OFFSET or 0)")
    args = parser.parse_args()
    bench_stack.set_port_offset(args.port_offset)

    from sxp_cli.fixtures_cmd import generate_file
    from sxp_cli.processes import parse_scale, services_up

    with bench_stack.fresh_stack(args.keep, args.port_offset) as settings:
        fixture = settings.home / "profiles.jsonl"
        generate_file(fixture, args.count, seed=7)
        limit = measure_limit(settings.kafka_bootstrap, submission_payloads(fixture))
        services_up(settings, parse_scale(args.scale))
        time.sleep(SETTLE_S)
        run = run_pipeline(settings, fixture)
    met = print_table(limit, run)
    print("all targets met" if met else "some targets missed (a shared machine is noisy: "
          "run again before concluding)")


if __name__ == "__main__":
    main()

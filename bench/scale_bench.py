"""`make bench-scale`: cost as work grows, on the bench's own stack (not part of `make test`).

1. A fresh stack, every service at 1 instance, warmed up with 200 profiles of another seed:
   `--profiles` generated profiles (default 1,000,000, seed 7) published in chunks of
   `--chunk` (default a tenth), each timed from the start of its publish until every card
   is labeled; prints profiles/s per chunk, whether the last chunk is within 20% of the
   first (no slope as the tables grow), each service's peak RSS (VmHWM, every instance;
   target under 250 MB) and the Postgres and Kafka data on disk.
2. A fresh stack again with `--scale ingest=2 labeler=2 card-factory=2` (or the given
   --scale): the first chunk alone, against the first chunk of step 1 (same data, same empty
   tables), so the two rates compare like with like.

The machine is shared, so compare the rates of one run only.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench_stack
from pipeline_run import wait_labeled

FLAT_WITHIN = 0.2
RSS_LIMIT_MB = 250.0
SETTLE_S = 5.0
WARMUP_PROFILES = 200  # published (another seed) and labeled before the timed chunks
DEFAULT_SCALE = ["ingest=2", "labeler=2", "card-factory=2"]


@dataclass(frozen=True)
class Chunk:
    """One chunk's publish → labeled."""

    published: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.published / self.seconds


def split(fixture: Path, chunk: int) -> list[Path]:
    """The fixture's lines in files of `chunk` lines each, beside it."""
    paths: list[Path] = []
    out = None
    with open(fixture, encoding="utf-8") as source:
        for number, line in enumerate(source):
            if number % chunk == 0:
                if out is not None:
                    out.close()
                paths.append(fixture.with_name(f"{fixture.stem}.part{len(paths):03d}.jsonl"))
                out = open(paths[-1], "w", encoding="utf-8")  # noqa: SIM115 (closed above/below)
            assert out is not None
            out.write(line)
    if out is not None:
        out.close()
    return paths


def run_chunk(settings: Any, path: Path) -> Chunk:
    """Publish one chunk with the CLI's code and wait until every card is labeled."""
    from sxp_cli.publish import publish_file

    started = time.monotonic()
    report = asyncio.run(publish_file(path, settings))
    seconds, _ = asyncio.run(wait_labeled(settings, report.job_id, report.published, started))
    return Chunk(report.published, seconds)


def peak_rss_mb(settings: Any) -> dict[str, float]:
    """The highest peak RSS (VmHWM) among each service's live instances, in MB."""
    from sxp_cli.processes import instances

    peaks: dict[str, float] = {}
    for instance in instances(settings):
        if not instance.alive or instance.pid is None:
            continue
        try:
            status = Path(f"/proc/{instance.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                mb = int(line.split()[1]) / 1024
                peaks[instance.service] = max(peaks.get(instance.service, 0.0), mb)
    return peaks


def run_stack(warmup: Path, chunks: list[Path], scale: list[str], keep: bool,
              ) -> tuple[list[Chunk], dict[str, float], dict[str, float]]:
    """Chunks through a fresh stack at `scale`; their timings, peak RSS, data on disk."""
    from sxp_cli.processes import parse_scale, services_up

    with bench_stack.fresh_stack(keep) as settings:
        services_up(settings, parse_scale(scale))
        time.sleep(SETTLE_S)
        run_chunk(settings, warmup)  # every instance joined and warm before the first chunk
        timed = []
        for index, path in enumerate(chunks):
            timed.append(run_chunk(settings, path))
            print(f"  scale {' '.join(scale) or '1 each'}: chunk {index + 1}/{len(chunks)} "
                  f"{timed[-1].published:,} profiles in {timed[-1].seconds:.1f} s, "
                  f"{timed[-1].rate:,.0f}/s", flush=True)
        data = settings.home / "data"
        disk = {name: bench_stack.disk_mb(data / name) for name in ("postgres", "kafka")}
        return timed, peak_rss_mb(settings), disk


def report(chunks: list[Chunk], rss: dict[str, float], disk: dict[str, float],
           scaled: Chunk, scale: list[str]) -> bool:
    """Print the summary; True when the rate is flat and every service is under the limit."""
    first, last = chunks[0].rate, chunks[-1].rate
    flat = last >= first * (1 - FLAT_WITHIN)
    print(f"\nprofiles/s per chunk: {', '.join(f'{c.rate:,.0f}' for c in chunks)}")
    print(f"last chunk vs first: {last / first:.2f} ({'flat' if flat else 'SLOPE'}: "
          f"target within {FLAT_WITHIN:.0%})")
    light = all(mb < RSS_LIMIT_MB for mb in rss.values())
    print("peak RSS (MB): " + ", ".join(f"{s} {mb:.0f}" for s, mb in sorted(rss.items()))
          + f" ({'all' if light else 'NOT all'} under {RSS_LIMIT_MB:.0f})")
    print(f"data on disk: Postgres {disk['postgres']:,.0f} MB, Kafka {disk['kafka']:,.0f} MB")
    print(f"first chunk, {' '.join(scale)}: {scaled.rate:,.0f}/s against {first:,.0f}/s at 1 "
          f"each ({scaled.rate / first:.2f}x)")
    return flat and light


def main() -> None:
    """Run both stacks and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=None, help="default: a tenth")
    parser.add_argument("--scale", action="append", default=None,
                        help=f"SERVICE=N for step 2 (default: {' '.join(DEFAULT_SCALE)})")
    parser.add_argument("--keep", action="store_true", help="leave the last stack running")
    parser.add_argument("--port-offset", type=int, default=None,
                        help="move every bench port up by N (default: $SXP_BENCH_PORT_OFFSET or 0)")
    args = parser.parse_args()
    bench_stack.set_port_offset(args.port_offset)
    chunk = args.chunk or max(1, args.profiles // 10)

    from sxp_cli.fixtures_cmd import generate_file

    settings = bench_stack.bench_settings()
    fixture = settings.home.parent / "bench-scale" / "profiles.jsonl"
    fixture.parent.mkdir(parents=True, exist_ok=True)
    generate_file(fixture, args.profiles, seed=7)
    warmup = fixture.with_name("warmup.jsonl")
    generate_file(warmup, WARMUP_PROFILES, seed=8)
    parts = split(fixture, chunk)
    timed, rss, disk = run_stack(warmup, parts, [], keep=False)
    scale = args.scale or DEFAULT_SCALE
    scaled, _, _ = run_stack(warmup, parts[:1], scale, keep=args.keep)
    ok = report(timed, rss, disk, scaled[0], scale)
    print("all targets met" if ok else "some targets missed")


if __name__ == "__main__":
    main()

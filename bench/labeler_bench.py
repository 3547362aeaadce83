"""Labeler speed and memory: cards per second on one core and peak RSS, no stack needed.

Builds N structured cards from the synthetic fixture generator (ingest validation, contact
redaction and the card factory, as `sxp preview` does), then times label_card plus the
record/row mapping the labeler service writes, and prints measured vs limit side by side.
Run: PYTHONPATH=libs:. python bench/labeler_bench.py [--count 20000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_CARDS_PER_S = 2_000
MAX_RSS_MB = 300


def _cards(count: int, seed: int) -> list[dict]:
    """Structured cards for the generated profiles that survive ingest validation."""
    from services.card_factory.domain import build_structured_card
    from services.ingest.domain import Rejection, to_raw_record, validate_submission
    from sxp_cli.fixtures import generate_profiles
    from sxp_cli.reader import type_row

    now = datetime.now(UTC)
    cards = []
    for n, row in enumerate(generate_profiles(count, seed)):
        try:
            fields = type_row(row)
        except ValueError:
            continue
        fields.update(submission_id=f"00000000-0000-0000-0000-{n:012d}", job_id="bench",
                      source=f"bench:{n}", submitted_at=now)
        result = validate_submission(fields, now)
        if not isinstance(result, Rejection):
            cards.append(build_structured_card(to_raw_record(result, 1)))
    return cards


def main() -> None:
    """Measure and print one line per measure: measured, limit, verdict."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "libs"), str(ROOT)]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    from services.labeler.domain import label_card, label_with
    from services.labeler.learned import learned_model
    from services.labeler.records import label_row, labeled_record
    from services.labeler.version import model_version

    cards = _cards(args.count, args.seed)
    started = time.perf_counter()
    label_card(cards[0])  # the rule tables and the model are read once, on first use
    compile_s = time.perf_counter() - started
    now = datetime.now(UTC)
    started = time.perf_counter()
    rows = [label_row(labeled_record(card, label_card(card), now), model_version())
            for card in cards]
    elapsed = time.perf_counter() - started
    per_s = len(cards) / elapsed
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    covered = sum(1 for r in rows if r["persona"] and r["tribe"]) / len(rows)
    print(f"labeler model      {model_version()}")
    print(f"cards labeled      {len(rows):,} (of {args.count:,} generated; rule tables compiled "
          f"and model loaded in {compile_s * 1000:.0f} ms)")
    print(f"cards per second   {per_s:>10,.0f}   limit >= {MIN_CARDS_PER_S:,}   "
          f"{'ok' if per_s >= MIN_CARDS_PER_S else 'TOO SLOW'}")
    print(f"ms per card        {1000 / per_s:>10.3f}   limit <= {1000 / MIN_CARDS_PER_S:.3f}")
    print(f"peak RSS (MB)      {rss_mb:>10.1f}   limit <  {MAX_RSS_MB}     "
          f"{'ok' if rss_mb < MAX_RSS_MB else 'TOO BIG'}")
    print(f"coverage           {covered:>10.3f}   (generated profiles; persona and tribe set)")
    started = time.perf_counter()
    for card in cards:
        label_with(card, None)
    rules_per_s = len(cards) / (time.perf_counter() - started)
    print(f"rules alone /s     {rules_per_s:>10,.0f}   (the same cards, no learned layer: "
          f"compare ratios under load)")
    model = learned_model()
    started = time.perf_counter()
    for card in cards:
        model.predict(card)
    model_per_s = len(cards) / (time.perf_counter() - started)
    print(f"model alone /s     {model_per_s:>10,.0f}   (all three dimensions on every card; the "
          f"labeler asks only where the rules abstain)")


if __name__ == "__main__":
    main()

"""One timed pipeline run: `sxp publish` of a fixture, then until labeled, then until exported.

Labeled: ingest has counted every published row and every lead card is labeled at its
profile version. Exported: every ready card (LABELED, not in flight) is in a queue batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import bench_stack  # noqa: F401  (puts the repository on sys.path)

DRAIN_DEADLINE_S = 3600.0
POLL_S = 0.1

_EXPORT_STATE = """
SELECT
  (SELECT count(*) FROM execution.lead_cards
   WHERE readiness IN ('LABELED', 'ENRICHED') AND enrichment_status <> 'REQUESTED') AS ready,
  (SELECT count(DISTINCT lead_card_id) FROM execution.handoff_items
   WHERE transport = 'queue') AS exported
"""


@dataclass(frozen=True)
class PipelineRun:
    """Seconds from the start of the publish to its end, to labeled and to exported."""

    published: int
    publish_s: float
    labeled_s: float
    exported_s: float
    labeled: int
    exported: int


async def export_state(conn: asyncpg.Connection) -> dict[str, int]:
    """Ready cards and cards exported on the queue transport."""
    return dict(await conn.fetchrow(_EXPORT_STATE))


async def _wait(settings: Any, started: float, done: Callable[[], Awaitable[Any]],
                what: str) -> tuple[float, Any]:
    """Await `done()` every 100 ms; the seconds since `started` when it first held."""
    while True:
        state = await done()
        if state is not None:
            return time.monotonic() - started, state
        if time.monotonic() - started > DRAIN_DEADLINE_S:
            raise SystemExit(f"bench: not {what} after {DRAIN_DEADLINE_S:.0f} s; "
                             f"see {settings.home / 'logs'}")
        await asyncio.sleep(POLL_S)


def _labeled(conn: asyncpg.Connection, job_id: str,
             published: int) -> Callable[[], Awaitable[dict[str, int] | None]]:
    """The labeled check of one job: ingest counted every row, every card labeled at its
    version (the full counts only once the cheap one, a row by key, says ingest is done)."""
    from sxp_cli.demo import is_drained
    from sxp_cli.queries import pipeline as queries

    async def labeled() -> dict[str, int] | None:
        counts = await queries.job_counts(conn, job_id)
        if counts.get("received", 0) < published:
            return None
        state = await queries.pipeline_state(conn, job_id)
        return state if is_drained(state, published) else None

    return labeled


async def wait_labeled(settings: Any, job_id: str, published: int,
                       started: float) -> tuple[float, dict[str, int]]:
    """Seconds from `started` until the job is labeled (bench/scale_bench.py's chunks)."""
    from sxp_common.db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        return await _wait(settings, started, _labeled(conn, job_id, published), "labeled")
    finally:
        await conn.close()


async def _drain(settings: Any, job_id: str, published: int,
                 started: float) -> tuple[float, dict[str, int], float, dict[str, int]]:
    """Wait until labeled, then until exported, on one connection (the polls are part of the
    machine's load: a new connection per poll, or the full counts before ingest saw every row,
    would slow the pipeline they measure)."""
    from sxp_common.db import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        async def exported() -> dict[str, int] | None:
            state = await export_state(conn)
            return state if state["exported"] >= state["ready"] else None

        labeled_s, labeled_state = await _wait(settings, started,
                                               _labeled(conn, job_id, published), "labeled")
        exported_s, exported_state = await _wait(settings, started, exported, "exported")
        return labeled_s, labeled_state, exported_s, exported_state
    finally:
        await conn.close()


def run_pipeline(settings: Any, fixture: Path) -> PipelineRun:
    """Publish `fixture` with the CLI's own code and time it through labeled and exported."""
    from sxp_cli.publish import publish_file

    started = time.monotonic()
    report = asyncio.run(publish_file(fixture, settings))
    publish_s = time.monotonic() - started
    labeled_s, labeled_state, exported_s, exported_state = asyncio.run(
        _drain(settings, report.job_id, report.published, started))
    return PipelineRun(report.published, publish_s, labeled_s, exported_s,
                       labeled_state["labeled"], exported_state["exported"])

"""The enrichment and handoff steps of `sxp demo`, each returning numbers for the summary."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg

from sxp_cli.enrich_cmd import build_command, send_and_wait
from sxp_common.db import asyncpg_dsn
from sxp_common.settings import Settings

SETTLE_DEADLINE_S = 300.0


async def _open_batches(settings: Settings, request_id: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM enrichment.batches WHERE request_id = $1 AND status = "
            "'requested'", request_id)
    finally:
        await conn.close()


async def enrichment_numbers(settings: Settings, request_id: str) -> dict[str, Any]:
    """What one request did: batches, cards enriched or failed, spend against its reservation."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        row = await conn.fetchrow(
            """SELECT count(*) AS batches,
                      coalesce(sum(cardinality(lead_card_ids)), 0) AS cards,
                      coalesce(sum(reserved_usd), 0)::float8 AS reserved,
                      coalesce(sum(settled_usd), 0)::float8 AS settled
               FROM enrichment.batches WHERE request_id = $1""", request_id)
        statuses = await conn.fetch(
            """SELECT c.enrichment_status AS status, count(*) AS n
               FROM execution.lead_cards c JOIN enrichment.batches b ON c.lead_card_id =
               ANY(b.lead_card_ids)
               WHERE b.request_id = $1 GROUP BY 1""", request_id)
        tier2 = await conn.fetchval("SELECT count(*) FROM contact.contacts")
    finally:
        await conn.close()
    by_status = {r["status"]: r["n"] for r in statuses}
    return {"batches": row["batches"], "cards": row["cards"], "reserved_usd": row["reserved"],
            "settled_usd": row["settled"], "enriched": by_status.get("ENRICHED", 0),
            "failed": by_status.get("FAILED", 0), "contacts in Tier 2 (all requests)": tier2}


def run_enrichment(settings: Settings, labels: list[str]) -> dict[str, Any]:
    """Ask the gate for the labels, wait until every approved batch has settled."""
    command = build_command(labels, None, None, None)
    answer = asyncio.run(send_and_wait(settings, command, 60.0))
    if answer is None:
        raise RuntimeError("the enrichment gate did not answer in 60s; see the service logs")
    deadline = time.monotonic() + SETTLE_DEADLINE_S
    while asyncio.run(_open_batches(settings, command["request_id"])):
        if time.monotonic() > deadline:
            raise RuntimeError(f"enrichment batches did not settle in {SETTLE_DEADLINE_S:.0f}s")
        time.sleep(0.5)
    numbers = asyncio.run(enrichment_numbers(settings, command["request_id"]))
    refused = json.loads(answer["refused"]) if isinstance(answer["refused"],
                                                          str) else answer["refused"]
    return {"request_id": command["request_id"], "status": answer["status"],
            "approved": answer["approved_count"], "refused": refused, **numbers}


def verify_audit(settings: Settings) -> tuple[bool, str]:
    """Wait until the projector caught up, then prove the projection matches the topic."""
    from sxp_cli.replay import replay_audit
    from sxp_cli.stats import kafka_stats

    deadline = time.monotonic() + 120.0
    while asyncio.run(kafka_stats(settings))["lag"]["sxp-audit-projector"]:
        if time.monotonic() > deadline:
            return False, "the audit projector did not catch up in 120s"
        time.sleep(0.5)
    result = asyncio.run(replay_audit(settings, verify=True))
    if result.verified:
        return True, f"{result.rows:,} audit event(s), chain head {result.chain_head[:16]}…"
    return False, result.difference or "replay disagreed"


async def handoff_counts(settings: Settings) -> dict[str, dict[str, int]]:
    """Delivered batches and cards per transport, from the exporter's own record."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        rows = await conn.fetch(
            """SELECT b.transport, count(DISTINCT b.batch_id) AS batches, count(i.lead_card_id) AS
            cards
               FROM execution.handoff_batches b JOIN execution.handoff_items i USING (batch_id)
               WHERE b.status = 'delivered' GROUP BY b.transport""")
    finally:
        await conn.close()
    return {r["transport"]: {"batches": r["batches"], "cards": r["cards"]} for r in rows}


def run_handoff(settings: Settings) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Export on all three transports, then let the reference consumer verify the topic."""
    import subprocess
    import sys
    from pathlib import Path

    from sxp_cli.export_cmd import run_export

    problems = []
    for transport in ("queue", "file", "api"):
        for outcome in asyncio.run(run_export(settings, transport, None)):
            if outcome.status != "delivered":
                problems.append(f"{transport} batch {outcome.batch_id}: {outcome.status} "
                                f"{outcome.error or ''}")
    consumer = Path(__file__).resolve().parents[2] / "examples" / "lead_batch_consumer.py"
    checked = subprocess.run(
        [sys.executable, str(consumer), "--bootstrap", settings.kafka_bootstrap, "--until-end"],
        capture_output=True, text=True, timeout=300)
    if checked.returncode != 0:
        problems.append(f"reference consumer: {checked.stderr.strip().splitlines()[-1:]}")
    return asyncio.run(handoff_counts(settings)), problems

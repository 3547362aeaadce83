"""The enrichment and handoff steps of `sxp demo`, each returning numbers for the summary."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sxp_cli.enrich_cmd import build_command, send_and_wait
from sxp_cli.queries import enrichment, export, reading
from sxp_common.settings import Settings

SETTLE_DEADLINE_S = 300.0


async def _open_batches(settings: Settings, request_id: str) -> int:
    async with reading(settings) as conn:
        return await enrichment.open_batches(conn, request_id)


async def enrichment_numbers(settings: Settings, request_id: str) -> dict[str, Any]:
    """What one request did: batches, cards enriched or failed, spend against its reservation."""
    async with reading(settings) as conn:
        return await enrichment.request_numbers(conn, request_id)


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
    async with reading(settings) as conn:
        return await export.delivered_per_transport(conn)


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

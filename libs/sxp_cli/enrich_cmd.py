"""`sxp enrich request|policy|reap`: ask the gate through its command topic.

`request` and `policy` never write the database. `reap` runs the gate's own reaper once,
logged in as the gate's database role, and leaves its audit events in the gate's outbox.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from services.enrichment_gate.adapters import fetch_candidates, spent_today
from services.enrichment_gate.domain import GateDecision, load_policy
from services.enrichment_gate.planning import decide
from services.enrichment_gate.reaper import reap_once
from services.labeler.domain import EXECUTION_LABELS
from sxp_common import audit, tracing
from sxp_common.db import asyncpg_dsn, create_service_pool
from sxp_common.enrichment_ledger import ClosedBatch
from sxp_common.kafka import make_broker, outgoing, publish_all
from sxp_common.settings import Settings
from sxp_common.topics import ENRICHMENT_COMMANDS

enrich_app = typer.Typer(help="Enrich approved lead cards on demand, within budget.",
                         no_args_is_help=True)
console = Console()
ANSWER_TIMEOUT_S = 60.0


def build_command(labels: list[str], min_confidence: float | None, limit: int | None,
                  budget_usd: float | None, retry_failed: bool = False) -> dict[str, Any]:
    """The RequestEnrichment command for these options (labels validated, upper-cased)."""
    wanted = [label.strip().upper() for label in labels]
    unknown = [label for label in wanted if label not in EXECUTION_LABELS]
    if not wanted or unknown:
        raise ValueError(f"--label must be one of {', '.join(EXECUTION_LABELS)}; "
                         f"got {', '.join(unknown) or 'none'}")
    actor = audit.Actor.cli()
    return {
        "request_id": str(uuid.uuid4()), "labels": wanted, "min_confidence": min_confidence,
        "limit": limit, "budget_usd": budget_usd,
        "requested_by": {"kind": actor.kind, "name": actor.name, "instance": actor.instance},
        "requested_at": datetime.now(UTC), "retry_failed": retry_failed,
    }


async def dry_run(settings: Settings, command: dict[str, Any]) -> GateDecision:
    """What the gate would decide now, computed read-only with the gate's own code."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        async with conn.transaction(readonly=True):
            candidates = await fetch_candidates(conn, command["labels"], command.get("limit"),
                                                command.get("retry_failed", False))
            spent = await spent_today(conn)
    finally:
        await conn.close()
    return decide(load_policy(settings.enrichment_policy), command, candidates, spent)


async def send_and_wait(settings: Settings, command: dict[str, Any],
                        timeout_s: float) -> dict[str, Any] | None:
    """Publish the command, then wait for the gate's recorded answer (None on timeout)."""
    broker = make_broker(settings, "cli")
    await broker.connect()
    try:
        trace = tracing.start_trace("sxp enrich")
        await publish_all(broker,
                          [outgoing(ENRICHMENT_COMMANDS, command["request_id"], command, trace)])
    finally:
        await broker.stop()
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            row = await conn.fetchrow("SELECT * FROM enrichment.requests WHERE request_id = "
                                      "$1", command["request_id"])
            if row:
                batches = await conn.fetch(
                    """SELECT batch_id, cardinality(lead_card_ids) AS size, reserved_usd::float8 AS
                    reserved_usd
                       FROM enrichment.batches WHERE request_id = $1 ORDER BY batch_id""",
                       command["request_id"])
                return {**dict(row), "batches": [dict(b) for b in batches]}
            await asyncio.sleep(0.3)
        return None
    finally:
        await conn.close()


@enrich_app.command("policy")
def policy(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the gate's policy: allowed labels, minimum confidence, costs and budgets."""
    current = load_policy(Settings().enrichment_policy).as_dict()
    if as_json:
        print(json.dumps(current))
        return
    table = Table("setting", "value", title="enrichment policy")
    for key, value in current.items():
        table.add_row(key, json.dumps(value))
    console.print(table)


@enrich_app.command("request")
def request(
    label: Annotated[list[str], typer.Option("--label", help="Execution label to enrich "
                                                             "(repeatable).")],
    min_confidence: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,  # noqa: UP007
    limit: Annotated[int | None, typer.Option(min=1)] = None,  # noqa: UP007
    budget_usd: Annotated[float | None, typer.Option(min=0.0)] = None,  # noqa: UP007
    dry_run_only: Annotated[bool, typer.Option("--dry-run", help="Show the decision; spend "
                                                                 "nothing.")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed",
        help="Queue again the cards whose enrichment ended FAILED (in new batches, within "
                               "budget; answers already paid for are reused, not paid "
                               "again).")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ask the gate to enrich approved lead cards; print the batches it queued or why it refused."""
    settings = Settings()
    command = build_command(label, min_confidence, limit, budget_usd, retry_failed)
    if dry_run_only:
        decision = asyncio.run(dry_run(settings, command))
        result = {"request_id": command["request_id"], "dry_run": True, "status": decision.status,
                  "approved_count": decision.approved_count, "refused": decision.refusal_counts(),
                  "reserved_usd": decision.reserved_usd,
                  "batches": [{"batch_id": b.batch_id, "size": len(b.items),
                               "reserved_usd": b.reserved_usd}
                              for b in decision.batches]}
    else:
        answer = asyncio.run(send_and_wait(settings, command, ANSWER_TIMEOUT_S))
        if answer is None:
            raise ValueError(f"request {command['request_id']} queued, but the gate did not answer "
                             f"in "
                             f"{ANSWER_TIMEOUT_S:.0f}s; is `sxp services up` running?")
        result = {"request_id": command["request_id"], "dry_run": False, "status": answer["status"],
                  "approved_count": answer["approved_count"],
                  "refused": json.loads(answer["refused"]),
                  "reserved_usd": float(answer["reserved_usd"]), "batches": answer["batches"]}
    _print_result(result, as_json)


@enrich_app.command("reap")
def reap(
    older_than: Annotated[float | None, typer.Option(  # noqa: UP007
        "--older-than", min=0.0,
        help="Seconds a batch may stay requested (default: SXP_ENRICHMENT_REAP_AFTER_S).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Close batches stuck in requested: release their reservation and mark their cards FAILED."""
    settings = Settings()
    deadline_s = settings.enrichment_reap_after_s if older_than is None else older_than
    closed = asyncio.run(reap_now(settings, deadline_s))
    rows = [{"batch_id": c.batch_id, "cards": len(c.lead_card_ids), "settled_usd": c.settled_usd,
             "released_usd": c.released_usd} for c in closed]
    if as_json:
        print(json.dumps({"reaped": rows}))
        return
    console.print(f"reaped {len(rows)} batch(es); retry their cards with `sxp enrich request "
                  f"--retry-failed`")
    for row in rows:
        console.print(f"  batch {row['batch_id']}: {row['cards']} card(s) FAILED, "
                      f"${row['released_usd']:,.2f} released")


async def reap_now(settings: Settings, older_than_s: float) -> list[ClosedBatch]:
    """Run the gate's reaper once as the gate's role (its events leave through the gate's
    outbox)."""
    pool = await create_service_pool(settings, "enrichment_gate", size=1)
    try:
        return await reap_once(pool, "enrichment_gate", audit.Actor.cli(), older_than_s)
    finally:
        await pool.close()


def _print_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, default=str))
        return
    word = "would approve" if result["dry_run"] else "approved"
    console.print(f"request {result['request_id']}: {result['status']}; {word} "
                  f"{result['approved_count']} "
                  f"card(s), reserving ${result['reserved_usd']:,.2f}")
    for batch in result["batches"]:
        console.print(f"  batch {batch['batch_id']}: {batch['size']} card(s), "
                      f"${batch['reserved_usd']:,.2f} reserved")
    for reason, count in result["refused"].items():
        console.print(f"  refused {count} card(s): {reason}")

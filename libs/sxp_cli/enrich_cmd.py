"""`sxp enrich request|policy|reap`: ask the gate through its command topic.

The CLI decides nothing and writes nothing to the database: `request` sends a REQUEST
command, `request --dry-run` a DRY_RUN and `reap` a REAP command
(sxp.enrichment.commands.v1 r3), and each reads the gate's recorded answer back as the
read-only role (sxp_cli.queries.enrichment). `policy` reads the policy file.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from services.labeler.domain import EXECUTION_LABELS
from sxp_cli.queries import enrichment, poll, reading
from sxp_common import audit, tracing
from sxp_common.audience_lookup import audience_by_name
from sxp_common.enrichment_policy import load_policy
from sxp_common.kafka import make_broker, outgoing, publish_all
from sxp_common.settings import Settings
from sxp_common.topics import ENRICHMENT_COMMANDS

enrich_app = typer.Typer(help="Enrich approved lead cards on demand, within budget.",
                         no_args_is_help=True)
console = Console()
ANSWER_TIMEOUT_S = 60.0


def build_command(labels: list[str], min_confidence: float | None, limit: int | None,
                  budget_usd: float | None, retry_failed: bool = False,
                  kind: str = "REQUEST", audience_id: str | None = None,
                  top: int | None = None) -> dict[str, Any]:
    """The REQUEST (or DRY_RUN) command for these options (labels validated, upper-cased).
    With an audience the labels may be empty (any allowed label among its members)."""
    wanted = [label.strip().upper() for label in labels]
    unknown = [label for label in wanted if label not in EXECUTION_LABELS]
    if (not wanted and audience_id is None) or unknown:
        raise ValueError(f"--label must be one of {', '.join(EXECUTION_LABELS)}; "
                         f"got {', '.join(unknown) or 'none'}")
    if top is not None and audience_id is None:
        raise ValueError("--top needs --audience (the best-qualified members of an audience)")
    return {**_command("REQUEST" if kind == "REQUEST" else "DRY_RUN"), "labels": wanted,
            "min_confidence": min_confidence, "limit": limit, "budget_usd": budget_usd,
            "retry_failed": retry_failed, "audience_id": audience_id, "top": top}


def resolve_audience(settings: Settings, name: str | None) -> str | None:
    """The id of the live audience called `name` (None for no name), or a one-line error."""
    if name is None:
        return None

    async def lookup() -> str:
        async with reading(settings) as conn:
            return (await audience_by_name(conn, name)).audience_id

    return asyncio.run(lookup())


def build_reap_command(older_than_s: float | None) -> dict[str, Any]:
    """The REAP command: close batches requested longer than this (None: the gate's own
    SXP_ENRICHMENT_REAP_AFTER_S)."""
    return {**_command("REAP"), "labels": [], "older_than_s": older_than_s}


def _command(kind: str) -> dict[str, Any]:
    actor = audit.Actor.cli()
    return {"request_id": str(uuid.uuid4()), "kind": kind,
            "requested_by": {"kind": actor.kind, "name": actor.name, "instance": actor.instance},
            "requested_at": datetime.now(UTC)}


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
    read = (enrichment.request_answer if command.get("kind", "REQUEST") == "REQUEST"
            else enrichment.command_answer)
    return await poll(settings, lambda conn: read(conn, command["request_id"]), timeout_s)


def ask_gate(settings: Settings, command: dict[str, Any]) -> dict[str, Any]:
    """The gate's answer to a command, or a one-line error when it does not answer in time."""
    answer = asyncio.run(send_and_wait(settings, command, ANSWER_TIMEOUT_S))
    if answer is None:
        raise ValueError(f"request {command['request_id']} queued, but the gate did not answer "
                         f"in {ANSWER_TIMEOUT_S:.0f}s; is `sxp services up` running?")
    return answer


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
    label: Annotated[list[str] | None, typer.Option(  # noqa: UP007
        "--label", help="Execution label to enrich (repeatable; optional with --audience).")
    ] = None,
    audience: Annotated[str | None, typer.Option(  # noqa: UP007
        "--audience", help="Only this audience's members, best-qualified first.")] = None,
    top: Annotated[int | None, typer.Option(  # noqa: UP007
        "--top", min=1, help="With --audience: at most this many members.")] = None,
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
    kind = "DRY_RUN" if dry_run_only else "REQUEST"
    settings = Settings()
    command = build_command(label or [], min_confidence, limit, budget_usd, retry_failed, kind,
                            resolve_audience(settings, audience), top)
    answer = ask_gate(settings, command)
    refused = answer["refused"]
    result = {"request_id": command["request_id"], "dry_run": dry_run_only,
              "audience_id": command["audience_id"],
              "status": answer["status"], "approved_count": answer["approved_count"],
              "refused": json.loads(refused) if isinstance(refused, str) else refused,
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
    rows = ask_gate(Settings(), build_reap_command(older_than))["reaped"]
    if as_json:
        print(json.dumps({"reaped": rows}))
        return
    console.print(f"reaped {len(rows)} batch(es); retry their cards with `sxp enrich request "
                  f"--retry-failed`")
    for row in rows:
        console.print(f"  batch {row['batch_id']}: {row['cards']} card(s) FAILED, "
                      f"${row['released_usd']:,.2f} released")


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

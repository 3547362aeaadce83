"""`sxp export`: ask the exporter service for Lead Card Batches of the cards not yet sent at
their current revision, or to re-send one. The CLI never exports by itself: one exporter."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from services.exporter.domain import TRANSPORTS, Outcome
from sxp_cli.queries import poll, reading
from sxp_cli.queries.export import export_answer
from sxp_common import audit, tracing
from sxp_common.audience_lookup import audience_by_name
from sxp_common.kafka import make_broker, outgoing, publish_all
from sxp_common.settings import Settings
from sxp_common.topics import EXPORT_COMMANDS

console = Console()
DEFAULT_TRANSPORT = "file"
ANSWER_TIMEOUT_S = 120.0


def check_transport(transport: str | None) -> str | None:
    """The transport name, lower-cased, or a ValueError naming the choices."""
    if transport is None:
        return None
    name = transport.strip().lower()
    if name not in TRANSPORTS:
        raise ValueError(f"--transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
    return name


def check_batch_id(batch_id: str) -> str:
    """A batch id is a UUID; anything else is a one-line error."""
    try:
        return str(uuid.UUID(batch_id))
    except ValueError:
        raise ValueError(f"--resend expects a batch id (a UUID), not {batch_id!r}") from None


async def run_export(settings: Settings, transport: str | None, resend_id: str | None,
                     timeout_s: float = ANSWER_TIMEOUT_S,
                     audience: str | None = None) -> list[Outcome]:
    """Ask the exporter service (its command topic) to export (every ready card, or only the
    ready members of the audience named `audience`) or re-send; wait for its answer."""
    audience_id = None
    if audience is not None:
        if resend_id is not None:
            raise ValueError("--audience and --resend do not go together: a re-sent batch is "
                             "sent as it was")
        async with reading(settings) as conn:
            audience_id = (await audience_by_name(conn, audience)).audience_id
    actor = audit.Actor.cli()
    command_id = str(uuid.uuid4())
    command: dict[str, Any] = {
        "command_id": command_id,
        "transport": transport or ("" if resend_id else DEFAULT_TRANSPORT),
        "resend_batch_id": resend_id,
        "requested_by": {"kind": actor.kind, "name": actor.name, "instance": actor.instance},
        "requested_at": datetime.now(UTC),
        "audience_id": audience_id,
    }
    broker = make_broker(settings, "cli-export")
    await broker.connect()
    try:
        await publish_all(broker, [outgoing(EXPORT_COMMANDS, command_id, command,
                                            tracing.start_trace("sxp export"))])
    finally:
        await broker.stop()
    answer = await wait_for_answer(settings, command_id, timeout_s)
    if answer is None:
        raise ValueError(f"export {command['command_id']} queued, but the exporter did not answer "
                         f"in {timeout_s:.0f}s; is `sxp services up` running?")
    if answer["status"] == "failed":
        raise ValueError(answer["error"] or "the exporter refused the export")
    return [Outcome(**o) for o in json.loads(answer["outcomes"])]


async def wait_for_answer(settings: Settings, command_id: str,
                          timeout_s: float) -> dict[str, Any] | None:
    """Poll the exporter's recorded answer to a command until `timeout_s` (None on timeout)."""
    return await poll(settings, lambda conn: export_answer(conn, command_id), timeout_s)


def _print(outcomes: list[Outcome], transport: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"transport": transport, "batches": [o.as_dict() for o in outcomes]}))
        return
    if not outcomes:
        console.print(f"no new execution-ready cards to export on {transport}")
        return
    table = Table("batch", "transport", "cards", "status", "sha256", "location / error",
                  title=f"Lead Card Batch v1 on {transport}")
    for o in outcomes:
        style = {"delivered": "green", "failed": "red", "refused": "yellow"}.get(o.status, "")
        table.add_row(o.batch_id, o.transport, str(o.count), f"[{style}]{o.status}[/]",
                      o.checksum, o.location or o.error or "")
    console.print(table)


def export_command(
    transport: Annotated[str | None, typer.Option(  # noqa: UP007
        "--transport", help="file (default: the bucket, or SXP_EXPORT_DIR), api or queue.")] = None,
    resend_batch: Annotated[str | None, typer.Option(  # noqa: UP007
        "--resend", metavar="BATCH_ID",
        help="Deliver a recorded batch again, with the same batch id and checksum.")] = None,
    audience: Annotated[str | None, typer.Option(  # noqa: UP007
        "--audience", metavar="NAME",
        help="Only this audience's ready members; the batches carry its id and criteria "
             "hash.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the batches as JSON.")] = False,
) -> None:
    """Emit Lead Card Batch v1 batches of execution-ready cards not yet exported on the
    transport (with --audience, only that audience's members)."""
    name = check_transport(transport)
    batch_id = check_batch_id(resend_batch) if resend_batch is not None else None
    outcomes = asyncio.run(run_export(Settings(), name, batch_id, audience=audience))
    shown = outcomes[0].transport if outcomes else (name or DEFAULT_TRANSPORT)
    _print(outcomes, shown, as_json)
    if any(o.status in ("failed", "refused") for o in outcomes):
        raise typer.Exit(1)

"""`sxp export`: emit Lead Card Batch v1 batches of execution-ready cards, or re-send one."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from services.exporter import adapters
from services.exporter.domain import TRANSPORTS, Producer
from services.exporter.exporting import Exporter, Outcome, export_ready, resend
from services.exporter.transports import make_transport
from sxp_common import audit
from sxp_common.db import create_service_pool
from sxp_common.kafka import make_broker
from sxp_common.settings import Settings

console = Console()
DEFAULT_TRANSPORT = "file"


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


async def run_export(settings: Settings, transport: str | None, resend_id: str | None) -> list[Outcome]:
    """Export (or re-send) as the exporter role; audit events go out through a CLI producer."""
    pool = await create_service_pool(settings, "exporter", size=2)
    broker = make_broker(settings, "cli-export")
    try:
        if resend_id is not None and transport is None:
            async with pool.acquire() as conn:
                stored = await adapters.stored_batch(conn, resend_id)
            if stored is None:
                raise ValueError(f"no batch {resend_id} was exported")
            transport = stored.transport
        await broker.connect()
        actor = audit.Actor.cli()
        exporter = Exporter(
            pool=pool, broker=broker,
            transport=make_transport(transport or DEFAULT_TRANSPORT, settings, broker),
            producer=Producer("sxp-cli", f"{actor.name}@{actor.instance}"), actor=actor,
            logger=logging.getLogger("sxp.export"), batch_size=settings.export_batch_size,
        )
        if resend_id is not None:
            return [await resend(exporter, resend_id)]
        return await export_ready(exporter, None, retry_failed=True)
    finally:
        await broker.stop()
        await pool.close()


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
    transport: Annotated[Optional[str], typer.Option(  # noqa: UP007
        "--transport", help="file (default: the bucket, or SXP_EXPORT_DIR), api or queue.")] = None,
    resend_batch: Annotated[Optional[str], typer.Option(  # noqa: UP007
        "--resend", metavar="BATCH_ID",
        help="Deliver a recorded batch again, with the same batch id and checksum.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the batches as JSON.")] = False,
) -> None:
    """Emit Lead Card Batch v1 batches of execution-ready cards not yet exported on the transport."""
    name = check_transport(transport)
    batch_id = check_batch_id(resend_batch) if resend_batch is not None else None
    outcomes = asyncio.run(run_export(Settings(), name, batch_id))
    shown = outcomes[0].transport if outcomes else (name or DEFAULT_TRANSPORT)
    _print(outcomes, shown, as_json)
    if any(o.status in ("failed", "refused") for o in outcomes):
        raise typer.Exit(1)

"""`sxp audit trail` and `sxp replay audit`: the compliance trail, on screen or for auditors."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sxp_cli.queries import audit as audit_queries
from sxp_cli.queries import reading
from sxp_cli.timeparse import parse_since
from sxp_common.settings import Settings

audit_app = typer.Typer(help="The compliance trail of sensitive actions.", no_args_is_help=True)
replay_app = typer.Typer(help="Rebuild projections from their topics, or run a service over "
                         "its input again.", no_args_is_help=True)
# Piped or captured output keeps whole rows; a terminal wraps at its own width.
console = Console(width=None if sys.stdout.isatty() else 200)

TRAIL_COLUMNS = (
    "occurred_at", "event_type", "actor", "batch_id", "lead_card_count", "outcome", "reason",
    "provider", "cost_usd", "checksum", "event_id",
)


async def fetch_trail(
    settings: Settings, batch: str | None, lead_card: str | None, since: datetime | None
) -> list[dict[str, Any]]:
    """Audit rows for a batch, a lead card, or since a time, oldest first."""
    async with reading(settings) as conn:
        rows = await audit_queries.trail(conn, batch, lead_card, since)
    return [_trail_row(r) for r in rows]


def _trail_row(row: Any) -> dict[str, Any]:
    return {
        "occurred_at": row["occurred_at"].isoformat(),
        "event_type": row["event_type"],
        "actor": f"{row['actor_kind']}:{row['actor_name']}@{row['actor_instance']}",
        "batch_id": row["batch_id"],
        "lead_card_count": row["lead_card_count"],
        "outcome": row["outcome"],
        "reason": row["reason"],
        "provider": row["provider"],
        "cost_usd": None if row["cost_usd"] is None else float(row["cost_usd"]),
        "checksum": row["checksum"],
        "event_id": row["event_id"],
        "details": json.loads(row["details"]) if isinstance(row["details"],
                                                            str) else row["details"],
    }


def trail_table(rows: list[dict[str, Any]], show_batch: bool) -> Table:
    """The trail on screen: short times, batch ids and checksums."""
    columns = ["time (UTC)", "event", "actor", *(["batch"] if show_batch else []), "cards",
               "outcome", "reason", "provider / transport", "cost USD", "checksum"]
    table = Table(*columns, title="audit trail")
    for row in rows:
        cells = [row["occurred_at"][:19].replace("T", " "), row["event_type"],
                 row["actor"].split("@")[0],
                 *([(row["batch_id"] or "")[:8]] if show_batch else []),
                 str(row["lead_card_count"]),
                 row["outcome"], row["reason"] or "",
                 row["provider"] or str((row["details"] or {}).get("transport", "")),
                 "" if row["cost_usd"] is None else f"{row['cost_usd']:.2f}",
                 (row["checksum"] or "")[:12]]
        table.add_row(*cells)
    return table


@audit_app.command("trail")
def trail(
    # noqa: UP007
    batch: Annotated[str | None, typer.Option("--batch", help="A batch or publish job id.")] = None,
    # noqa: UP007
    lead_card: Annotated[str | None, typer.Option("--lead-card", help="A lead card id.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO 8601 time or an age like "
                                                              "2h.")] = None,  # noqa: UP007
    as_json: Annotated[bool, typer.Option("--json", help="JSON array.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header.")] = False,
) -> None:
    """Show every audited step for a batch, a lead card, or since a time."""
    if sum(x is not None for x in (batch, lead_card, since)) != 1:
        raise ValueError("give exactly one of --batch, --lead-card or --since")
    rows = asyncio.run(fetch_trail(Settings(), batch, lead_card,
                                   parse_since(since) if since else None))
    if as_json:
        print(json.dumps(rows, default=str))
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=[*TRAIL_COLUMNS, "details"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "details": json.dumps(row["details"], sort_keys=True)})
    else:
        console.print(trail_table(rows, show_batch=True) if rows else "no audit events match")


@replay_app.command("audit")
def replay_audit_command(
    verify: Annotated[bool, typer.Option("--verify", help="Compare with the live projection; exit "
                                                          "1 on any difference.")] = False,
    since: Annotated[str | None, typer.Option("--since", help="Replay from a time (offsets for "
                                                              "times).")] = None,  # noqa: UP007
) -> None:
    """Rebuild the audit projection from sxp.audit.v1 (restoring audit.audit_log if it is gone)."""
    from sxp_cli.replay import replay_audit

    result = asyncio.run(replay_audit(Settings(), parse_since(since) if since else None, verify))
    if result.restored_live:
        console.print(f"audit.audit_log was missing: restored {result.rows} event(s) from the "
                      f"topic")
    console.print(
        f"replayed {result.events_read} record(s) into {result.table}: {result.rows} event(s), "
        f"chain head {result.chain_head[:16]}…"
    )
    if verify:
        if result.verified:
            console.print("[green]verified:[/] the live projection matches the topic")
        else:
            Console(stderr=True).print(f"[red]mismatch:[/] {result.difference}")
            raise typer.Exit(1)

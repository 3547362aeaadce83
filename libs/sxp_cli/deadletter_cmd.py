"""`sxp deadletter list|show|redrive`: what the services could not process, and sending it back."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sxp_cli.deadletter import (
    erased_ids,
    read_dead_letters,
    redrive,
    redriven_ids,
    select,
    to_redrive,
)
from sxp_cli.timeparse import parse_since
from sxp_common.settings import Settings

deadletter_app = typer.Typer(help="Dead letters: list them, show one, send them back.",
                             no_args_is_help=True)
console = Console()
Service = Annotated[str | None, typer.Option("--service", help="Only this service's.")]
Reason = Annotated[str | None, typer.Option("--reason", help="Only this reason code.")]
Since = Annotated[str | None, typer.Option("--since", help="Failed at or after: ISO 8601 or "
                                                             "an age like 2h, 7d.")]
AsJson = Annotated[bool, typer.Option("--json")]


def _chosen(service: str | None, reason: str | None, since: str | None) -> list:
    letters = asyncio.run(read_dead_letters(Settings()))
    return select(letters, service, reason, parse_since(since) if since else None)


@deadletter_app.command("list")
def list_command(service: Service = None, reason: Reason = None, since: Since = None,
                 as_json: AsJson = False) -> None:
    """The dead letters the topic holds: id, service, reason, when, whether a redrive
    already failed once, and whether an erasure found a forgotten person in it (their bytes
    are never printed)."""
    chosen = _chosen(service, reason, since)
    erased = asyncio.run(erased_ids(Settings()))
    if as_json:
        print(json.dumps([{**d.summary(), "erased": d.id in erased} for d in chosen]))
        return
    table = Table("id", "service", "reason", "failed at", "after redrive of", "erased",
                  title=f"{len(chosen)} dead letter(s)")
    for d in chosen:
        table.add_row(d.id, d.service, d.reason_code, d.failed_at.isoformat(timespec="seconds"),
                      d.redrive_of or "-", "yes" if d.id in erased else "-")
    console.print(table)


@deadletter_app.command("show")
def show_command(dead_letter_id: Annotated[str, typer.Argument(
        help="topic:partition:offset, as `list` prints it.")]) -> None:
    """One dead letter: where it came from, why it failed, its size and checksum."""
    found = [d for d in _chosen(None, None, None) if d.id == dead_letter_id]
    if not found:
        raise ValueError(f"no dead letter {dead_letter_id!r}; see `sxp deadletter list`")
    erased = found[0].id in asyncio.run(erased_ids(Settings()))
    print(json.dumps({**found[0].summary(), "erased": erased}, indent=2))


@deadletter_app.command("redrive")
def redrive_command(service: Service = None, reason: Reason = None, since: Since = None,
                    again: Annotated[bool, typer.Option(
                        "--again", help="Also send those that failed after a redrive.")] = False,
                    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
                    as_json: AsJson = False) -> None:
    """Send the chosen dead letters' original bytes back to their source topic, once each,
    audited; run it after the cause is fixed. Those an erasure marked are never sent."""
    settings = Settings()
    chosen = _chosen(service, reason, since)
    sending, skipped = to_redrive(chosen, asyncio.run(redriven_ids(settings)), again,
                                  asyncio.run(erased_ids(settings)))
    sent = 0 if dry_run else asyncio.run(redrive(settings, sending))
    result = {"chosen": len(chosen), "sent": sent, "would_send": len(sending),
              "skipped": skipped, "ids": [d.id for d in sending], "dry_run": dry_run}
    if as_json:
        print(json.dumps(result))
        return
    verb = "would send" if dry_run else "sent"
    console.print(f"{verb} {len(sending)} of {len(chosen)} dead letter(s) back; skipped "
                  f"{skipped['already_redriven']} already redriven and "
                  f"{skipped['failed_after_redrive']} that failed after a redrive "
                  f"{escape('(--again sends those)')} and {skipped['erased']} of forgotten "
                  f"people")

"""`sxp forget --platform P --username U` and `sxp retention run`: through the compliance
service's command topic, waiting for its answer."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.console import Console

from services.ingest.domain import partition_key
from sxp_cli.queries import poll
from sxp_common import audit, compliance_commands
from sxp_common.kafka import make_broker
from sxp_common.settings import Settings

ANSWER_TIMEOUT_S = 60.0
console = Console()
retention_app = typer.Typer(help="Delete what is past its configured age.",
                            no_args_is_help=True)


def cli_requester() -> dict[str, str]:
    """This user on this host, as the command contracts name a requester."""
    actor = audit.Actor.cli()
    return {"kind": actor.kind, "name": actor.name, "instance": actor.instance}


def forget_command_record(platform: str, username: str) -> dict[str, Any]:
    """The FORGET command for one identity: it carries the identity hash, never the name."""
    key = partition_key(platform, username)
    if key is None:
        raise ValueError(f"not a profile identity: platform {platform!r}, username {username!r}")
    return compliance_commands.forget_command(key, cli_requester())


async def send_and_wait(settings: Settings, command: dict[str, Any]) -> dict[str, Any] | None:
    """Send a compliance command and wait for the service's recorded answer (None: none yet)."""
    broker = make_broker(settings, "cli")
    await broker.connect()
    try:
        await compliance_commands.send_command(broker, command)
    finally:
        await broker.stop()
    fetch = (compliance_commands.retention_answer
             if command["kind"] == compliance_commands.RETENTION
             else compliance_commands.erasure_answer)
    return await poll(settings, lambda conn: fetch(conn, command["request_id"]),
                      ANSWER_TIMEOUT_S)


def _no_answer(command: dict[str, Any]) -> ValueError:
    return ValueError(f"request {command['request_id']} queued, but the compliance service "
                      f"did not answer in {ANSWER_TIMEOUT_S:.0f}s; is `sxp services up` "
                      f"running?")


def forget(
    platform: Annotated[str, typer.Option("--platform", help="tiktok, threads or x.")],
    username: Annotated[str, typer.Option("--username", help="The handle, with or without @.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Erase a person from every tier, notify execution platforms on sxp.erasures.v1, and
    refuse the identity from now on (kept only as a keyed hash)."""
    answer = _ask(forget_command_record(platform, username), as_json)
    if answer is None:
        return
    rows = ", ".join(f"{n} {t}" for t, n in answer["erased"].items() if n) or "no stored rows"
    console.print(f"forgotten: {rows}; the identity is suppressed (subject "
                  f"{answer['subject_hash'][:12]}…)")


def _ask(command: dict[str, Any], as_json: bool) -> dict[str, Any] | None:
    """Send a compliance command and wait for its answer; print it whole with --json (then
    None: nothing left to render)."""
    answer = asyncio.run(send_and_wait(Settings(), command))
    if answer is None:
        raise _no_answer(command)
    if as_json:
        print(json.dumps(answer))
        return None
    return answer


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what is past its age; "
                                                            "delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ask the compliance service to delete Tier 2 records and provider answers past their
    age, and profiles and lead cards not seen for the unseen age (its SXP_RETENTION_*
    settings); audited by counts."""
    answer = _ask(compliance_commands.retention_command(cli_requester(), dry_run), as_json)
    if answer is None:
        return
    verb = "would delete" if dry_run else "deleted"
    for rule, tables in answer["deleted"].items():
        cutoff = answer["cutoffs"].get(rule)
        rows = ", ".join(f"{n} {t}" for t, n in tables.items() if n) or "nothing"
        when = f"before {cutoff}" if cutoff else "kept forever"
        console.print(f"{rule} ({when}): {verb} {rows}")

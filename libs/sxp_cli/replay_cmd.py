"""`sxp replay SERVICE [--from-beginning | --since TIME]`, one command per pipeline service."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sxp_cli.processes import SERVICES
from sxp_cli.timeparse import parse_since
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS

console = Console()


def replay_command(service: str) -> Callable[..., None]:
    """The typer command that replays one service."""

    def command(
        from_beginning: Annotated[bool, typer.Option(
            "--from-beginning", help="Re-read everything the topics still hold.")] = False,
        since: Annotated[str | None, typer.Option(
            "--since", help="Re-read from a time: ISO 8601 or an age like 2h, 7d.")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        from sxp_cli.replay_service import replay_service

        if from_beginning == (since is not None):
            raise ValueError("give exactly one of --from-beginning or --since TIME")
        start = parse_since(since) if since else None
        with console.status(f"replaying {service}"):
            plan, restarted = replay_service(Settings(), service, start)
        if as_json:
            print(json.dumps({"service": service, "group": plan.group, "records": plan.records,
                              "topics": plan.per_topic(), "restarted": restarted}))
            return
        table = Table("topic", "records to re-read", title=f"{plan.group} moved back")
        for topic, count in plan.per_topic().items():
            table.add_row(topic, str(count))
        console.print(table)
        console.print(f"{restarted} instance(s) of {service} started again" if restarted else
                      f"no instance of {service} ran here; start it with `sxp services up`")

    command.__doc__ = (f"Run {service} over its input again: move its consumer group back, "
                       "audited; idempotent writes keep only what changed.")
    return command


def register(replay_app: typer.Typer) -> None:
    """Add one `sxp replay <service>` command per service (beside `sxp replay audit`)."""
    for service in SERVICES:
        if service.replace("-", "_") in SUBSCRIPTIONS:  # the API consumes no topic
            replay_app.command(service)(replay_command(service))

"""`sxp stack up|down|status`: the local Kafka, PostgreSQL and S3 for development and tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sxp_stack.errors import StackError
from sxp_stack.manager import StackStatus, stack_down, stack_status, stack_up
from sxp_stack.paths import redact

stack_app = typer.Typer(
    name="stack",
    help="Run the local Kafka, PostgreSQL and S3 object store under $SXP_HOME.",
    no_args_is_help=True,
    add_completion=False,
)

# soft_wrap: an error or progress line stays one line even in a narrow or non-tty terminal.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


def _run(action: Callable[[Callable[[str, str], None]], T], title: str) -> T:
    """Run a manager call under a spinner, echoing one line per progress message."""
    with console.status(title) as spinner:

        def report(component: str, message: str) -> None:
            console.print(f"  [cyan]{component:<8}[/] {escape(message)}")
            spinner.update(f"{title} [dim]({component}: {escape(message)})[/]")

        try:
            return action(report)
        except StackError as exc:
            spinner.stop()
            err_console.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            spinner.stop()
            err_console.print("[red]error:[/] interrupted; run `sxp stack up` again to finish")
            raise typer.Exit(130) from None


def _table(status: StackStatus) -> Table:
    table = Table(title="local stack")
    for column in ("component", "state", "address", "pid"):
        table.add_column(column)
    colours = {"running": "green", "external": "green", "stopped": "yellow"}
    for component in status.components:
        colour = colours.get(component.state, "red")
        address = redact(component.address)
        if component.name == "s3":
            address += f"  bucket {status.bucket}"
        table.add_row(
            component.name,
            f"[{colour}]{component.state}[/]",
            escape(address),
            str(component.pid) if component.pid else "-",
        )
    return table


@stack_app.command("up")
def up() -> None:
    """Start Kafka, PostgreSQL and S3 (idempotent), create topics, schema and bucket."""
    started = time.monotonic()
    status = _run(lambda report: stack_up(report=report), "starting the local stack")
    console.print(_table(status))
    console.print(f"[green]stack up[/] in {time.monotonic() - started:.1f}s")


@stack_app.command("down")
def down() -> None:
    """Stop the local components; their data stays under $SXP_HOME/data."""
    status = _run(lambda report: stack_down(report=report), "stopping the local stack")
    console.print(_table(status))


@stack_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
) -> None:
    """Show which components run, where, under which pid, and each topic's retention."""
    try:
        current = stack_status()
    except StackError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    retention = _topic_retention(current)
    lifecycle = _exports_lifecycle(current)
    if as_json:
        # Plain print: rich would wrap or colour the JSON.
        document = current.to_json()
        document["s3"]["exports_lifecycle"] = lifecycle
        print(json.dumps({**document, "topics": retention}))
        return
    console.print(_table(current))
    if retention:
        console.print(_retention_table(retention))
    if lifecycle:
        console.print(f"exports lifecycle: {_lifecycle_line(lifecycle)}")


def _exports_lifecycle(current: StackStatus) -> dict[str, object]:
    """The exports prefix's lifecycle rule as the store reports it; empty while it is down."""
    from sxp_stack.manager import exports_lifecycle

    if not current.s3.running:
        return {}
    try:
        return exports_lifecycle()
    except Exception:  # the store went away between the two reads: show the stack alone
        return {}


def _lifecycle_line(lifecycle: dict[str, object]) -> str:
    if "refused" in lifecycle:
        return f"refused by the store ({lifecycle['refused']}): exports do not expire"
    days = lifecycle.get("expiration_days")
    expiry = f"expire after {days} days" if days else "kept forever (no rule)"
    return f"{lifecycle['prefix']} {expiry}"


def _topic_retention(current: StackStatus) -> dict[str, dict[str, str | None]]:
    """Each project topic's retention and cleanup policy as the broker reports them; empty
    while Kafka is not running."""
    import asyncio

    from sxp_common.settings import Settings
    from sxp_common.topics import topic_configs_on_broker

    if not current.kafka.running:
        return {}
    try:
        configs = asyncio.run(topic_configs_on_broker(Settings()))
    except Exception:  # the broker went away between the two reads: show the stack alone
        return {}
    return {name: {"retention_ms": config.get("retention.ms"),
                   "cleanup_policy": config.get("cleanup.policy")}
            for name, config in configs.items()}


def _retention_table(retention: dict[str, dict[str, str | None]]) -> Table:
    table = Table(title="topic retention")
    for column in ("topic", "retention", "cleanup"):
        table.add_column(column)
    for name, config in retention.items():
        table.add_row(name, _days(config["retention_ms"]), config["cleanup_policy"] or "-")
    return table


def _days(retention_ms: str | None) -> str:
    if retention_ms is None:
        return "-"
    if int(retention_ms) < 0:
        return "forever"
    return f"{int(retention_ms) / 86_400_000:g} days"

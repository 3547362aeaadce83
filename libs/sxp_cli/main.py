"""The `sxp` command: one typer app, one-line errors, never a traceback."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.errors import KafkaConnectionError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sxp_cli import processes
from sxp_cli.reader import InputError, read_rows
from sxp_common.settings import Settings

app = typer.Typer(
    name="sxp",
    help="Social XPress Engine: public social profiles in, labeled lead batches out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
services_app = typer.Typer(help="Run every service as its own process.", no_args_is_help=True)
fixtures_app = typer.Typer(help="Synthetic input profiles.", no_args_is_help=True)
app.add_typer(services_app, name="services")
app.add_typer(fixtures_app, name="fixtures")
console = Console()
err = Console(stderr=True, soft_wrap=True)

from sxp_cli.api_keys_cmd import api_keys_app  # noqa: E402
from sxp_cli.audience_cmd import audience_app  # noqa: E402
from sxp_cli.audience_report_cmd import register as register_audience_report  # noqa: E402
from sxp_cli.audit_cmd import audit_app, replay_app  # noqa: E402
from sxp_cli.enrich_cmd import enrich_app  # noqa: E402
from sxp_cli.eval_cmd import eval_app  # noqa: E402

app.add_typer(api_keys_app, name="api-keys")
register_audience_report(audience_app)
app.add_typer(audience_app, name="audience")
app.add_typer(audit_app, name="audit")
from sxp_cli.deadletter_cmd import deadletter_app  # noqa: E402
from sxp_cli.replay_cmd import register as register_service_replays  # noqa: E402

app.add_typer(deadletter_app, name="deadletter")
from sxp_cli.forget_cmd import forget as forget_command  # noqa: E402
from sxp_cli.forget_cmd import retention_app  # noqa: E402

app.command("forget")(forget_command)
app.add_typer(retention_app, name="retention")

register_service_replays(replay_app)
app.add_typer(replay_app, name="replay")
app.add_typer(enrich_app, name="enrich")
app.add_typer(eval_app, name="eval")

try:  # the local stack commands live in their own module
    from sxp_cli.stack_cmd import stack_app

    app.add_typer(stack_app, name="stack")
except ImportError:  # pragma: no cover - only while the module is missing
    pass


class UserError(Exception):
    """An error whose message is the whole story for the user."""


@services_app.command("up")
def services_up(
    scale: Annotated[list[str], typer.Option("--scale", help="SERVICE=N instances "
                                                             "(repeatable).")] = [],  # noqa: B006
) -> None:
    """Start every service (idempotent; instances of older code, or a labeler of other rules
    than SXP_LABELER_RULES_DIR names, are restarted); N instances of a service share its
    consumer group."""
    try:
        wanted = processes.parse_scale(scale)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    settings = Settings()
    running = processes.services_up(settings, wanted)
    _print_instances(running, settings)


@services_app.command("down")
def services_down() -> None:
    """Stop every service instance (each drains its in-flight batch first)."""
    stopped = processes.services_down(Settings())
    console.print(f"stopped {stopped} service instance(s)")


@services_app.command("status")
def services_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show each service instance, its pid, whether it runs and whether it runs today's code."""
    settings = Settings()
    found = processes.instances(settings)
    if as_json:
        code = processes.code_fingerprint()
        print(json.dumps([{"service": i.service, "instance": i.index, "pid": i.pid,
                           "running": i.alive, "current_code": i.code == processes.
                           service_fingerprint(settings, i.service, code),
                           "log": str(i.log)} for i in found]))
        return
    _print_instances(found, settings)


def _print_instances(found: list[processes.Instance], settings: Settings) -> None:
    table = Table("service", "instance", "pid", "state", "log")
    code = processes.code_fingerprint()
    for i in found:
        current = i.code == processes.service_fingerprint(settings, i.service, code)
        state = "stopped" if not i.alive else "running" if current else (
            "running old code or other rules: `sxp services up` restarts it")
        table.add_row(i.service, str(i.index), str(i.pid), state, str(i.log))
    console.print(table if found else "no service instances")


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(help="Profiles as JSONL (.jsonl) or CSV (.csv).")],
    platform: Annotated[str | None, typer.Option(help="tiktok, threads or x for rows without "
                                                      "one.")] = None,  # noqa: UP007
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Publish profiles to sxp.profiles.submitted.v1; unreadable rows are reported, not fatal."""
    from sxp_cli.publish import run_publish

    if platform and platform.lower() not in ("tiktok", "threads", "x"):
        raise UserError(f"--platform must be tiktok, threads or x, not {platform!r}")
    read_rows(file)  # one-line error for a missing file or unknown format, before any work
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, disable=as_json)
    with progress:
        report = run_publish(file, Settings(), platform and platform.lower(), progress)
    if as_json:
        print(json.dumps(report.as_dict()))
        return
    console.print(f"published {report.published} profile(s) from {file} as job {report.job_id}")
    for line, error in report.bad_rows[:20]:
        err.print(f"[yellow]line {line}:[/] {error}")
    if len(report.bad_rows) > 20:
        err.print(f"… and {len(report.bad_rows) - 20} more bad row(s)")
    if report.bad_rows:
        err.print(f"{len(report.bad_rows)} bad row(s) skipped")


@fixtures_app.command("generate")
def fixtures_generate(
    out: Annotated[Path, typer.Option("--out", help="Output file (.jsonl or .csv).")],
    count: Annotated[int, typer.Option("--count", min=1, max=1_000_000)] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    unreadable: Annotated[int, typer.Option("--unreadable", min=0, help="Lines that are not valid "
                                                                        "JSON.")] = 0,
) -> None:
    """Write realistic synthetic profiles (contact data, duplicates and malformed rows included)."""
    from sxp_cli.fixtures_cmd import generate_file

    written = generate_file(out, count, seed, unreadable)
    console.print(f"wrote {written} row(s) to {out}")


@app.command()
def preview(
    file: Annotated[Path, typer.Argument(help="Profiles as JSONL or CSV.")],
    # noqa: UP007
    platform: Annotated[str | None, typer.Option(help="Platform for rows without one.")] = None,
) -> None:
    """Validate, redact and label offline (no Kafka, no database): one JSON line per input.
    SXP_LABELER_RULES_DIR labels with an operator's rule tables, as the labeler would."""
    from sxp_cli.preview import preview_file

    for result in preview_file(file, platform, Settings().labeler_rules_dir):
        print(json.dumps(result, ensure_ascii=False, default=str))


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False
) -> None:
    """Rows per table, messages per topic, consumer lag, label coverage and spend."""
    from sxp_cli.stats import collect_stats

    result = asyncio.run(collect_stats(Settings()))
    if as_json:
        print(json.dumps(result, default=str))
        return
    from sxp_cli.render import render_stats

    render_stats(console, result)


from sxp_cli.export_cmd import export_command  # noqa: E402

app.command("export")(export_command)


@app.command()
def demo(
    count: Annotated[int, typer.Option("--count", min=10)] = 10_000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Stack up, services up, publish fixtures, wait for the pipeline to drain, print a summary."""
    from sxp_cli.demo import run_demo

    if not run_demo(console, Settings(), count, seed):
        raise typer.Exit(1)


def main() -> None:
    """Entry point: run the app, turning every error into one line on stderr."""
    # Client libraries log connection retries themselves; the CLI reports one line instead.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    # A connect that fails drops aiokafka's producer unstarted, and its finalizer reports it
    # through asyncio ("Unclosed AIOKafkaProducer") under the one line already printed.
    logging.getLogger("asyncio").addFilter(
        lambda record: not record.getMessage().startswith("Unclosed AIOKafkaProducer"))
    try:
        app()
    except (UserError, InputError, processes.ProcessError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        sys.exit(130)
    except (ConnectionError, KafkaConnectionError) as exc:
        err.print(f"[red]error:[/] cannot reach a server ({exc}); is the stack up? try `sxp stack "
                  f"up`")
        sys.exit(1)
    except Exception as exc:  # the last line of defence: one line, no traceback
        if os.environ.get("SXP_DEBUG"):
            raise
        err.print(f"[red]error:[/] {type(exc).__name__}: {exc}".splitlines()[0])
        sys.exit(1)


if __name__ == "__main__":
    main()

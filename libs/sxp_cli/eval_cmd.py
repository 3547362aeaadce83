"""`sxp eval labels FILE`: score the labeler on hand-labeled profiles, through the preview path."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sxp_cli.eval_labels import (
    EvalReport,
    Expectation,
    outcome_of_preview,
    parse_expectation,
    score_rows,
)
from sxp_cli.preview import preview_row
from sxp_cli.reader import InputError, type_row

eval_app = typer.Typer(help="Measure the labeler on your own hand-labeled profiles.",
                       no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 160)


def _labeled_rows(path: Path) -> Iterator[tuple[int, dict[str, Any], Expectation]]:
    """(line, typed profile fields, expectation) per line; InputError on the first bad line."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise ValueError("not a JSON object")
                yield number, type_row(raw), parse_expectation(raw.get("expect"))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
            except ValueError as exc:
                raise InputError(f"{path}: line {number}: {exc}") from None


def evaluate_file(path: Path) -> EvalReport:
    """Run every row through validation, redaction, structuring and labeling, then score it."""
    now = datetime.now(UTC)
    rows = list(_labeled_rows(path))
    if not rows:
        raise InputError(f"{path}: no labeled profiles")
    pairs = [(expectation, outcome_of_preview(preview_row(fields, line, path.name, now)))
             for line, fields, expectation in rows]
    return score_rows(pairs)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render_report(out: Console, report: EvalReport) -> None:
    """The report as rich tables: summary, agreement per label, worst misses, leaks."""
    summary = Table("measure", "value", title="labels")
    summary.add_row("profiles", str(report.rows))
    summary.add_row("rejected by ingest", str(report.rejected))
    summary.add_row("coverage (persona and tribe)", _percent(report.coverage))
    summary.add_row("reader's ceiling", _percent(report.ceiling))
    summary.add_row("PII leaks", str(len(report.leaks)))
    out.print(summary)
    agreement = Table("label", "given", "agreement", "wrong abstentions")
    for dimension, scored in report.dimensions.items():
        agreement.add_row(dimension, str(scored.given), _percent(scored.agreement),
                          str(scored.missed_abstentions))
    out.print(agreement)
    if report.misses:
        misses = Table("label", "expected", "given", "count", title="worst misses")
        for dimension, expected, given, count in report.misses:
            misses.add_row(dimension, expected, given, str(count))
        out.print(misses)
    for row, where in report.leaks:
        out.print(f"[red]leak:[/] profile {row}: contact data in {where}")


@eval_app.command("labels")
def eval_labels(
    file: Annotated[Path, typer.Argument(help="Hand-labeled profiles as JSONL, each with an "
                                              "'expect' object.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON "
                                                         "object.")] = False,
) -> None:
    """Coverage, reader's ceiling, agreement per label, worst misses and PII leaks."""
    report = evaluate_file(file)
    if as_json:
        print(json.dumps(report.as_dict()))
        return
    render_report(console, report)

"""`sxp audience report NAME --out FILE.html`: the audience's market report, one
self-contained HTML file (no network, no script), read as sxp_reader."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from sxp_cli.queries import reading
from sxp_common.audience_report import render_report
from sxp_common.audience_report_data import load_report
from sxp_common.settings import Settings


async def report_html(settings: Settings, name: str) -> str:
    """The report page of audience `name` (a one-line ValueError when there is none)."""
    async with reading(settings) as conn:
        return render_report(await load_report(conn, name))


def report(
    name: Annotated[str, typer.Argument(help="The audience's name.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML file.")],
) -> None:
    """Write the audience's market report: size over time, splits by platform, tribe and
    follower tier, label confidence, enrichment yield and spend, as one HTML file."""
    page = asyncio.run(report_html(Settings(), name))
    out.write_text(page, encoding="utf-8")
    typer.echo(f"wrote {out} ({len(page.encode()):,} bytes)")


def register(app: typer.Typer) -> None:
    """Add `report` to the `sxp audience` app."""
    app.command("report")(report)

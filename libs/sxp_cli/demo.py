"""`sxp demo` (what `make demo` runs): the whole local pipeline on generated profiles."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sxp_cli import processes
from sxp_cli.fixtures_cmd import generate_file
from sxp_cli.publish import run_publish
from sxp_cli.queries import pipeline as queries
from sxp_cli.queries import reading
from sxp_common.settings import Settings

DRAIN_DEADLINE_S = 600.0

async def pipeline_state(settings: Settings, job_id: str) -> dict[str, int]:
    """Counts that tell whether a publish job has drained through every stage."""
    async with reading(settings) as conn:
        return await queries.pipeline_state(conn, job_id)


async def job_counts(settings: Settings, job_id: str) -> dict[str, int]:
    """What ingest counted for one publish job."""
    async with reading(settings) as conn:
        return await queries.job_counts(conn, job_id)


def is_drained(state: dict[str, int], published: int) -> bool:
    """Ingest has seen every published row and every profile has a lead card labeled at its
    version."""
    received_all = state["received"] >= published
    return received_all and state["labeled"] == state["cards"] == state["profiles"]


def wait_for_drain(settings: Settings, job_id: str, published: int,
                   console: Console) -> dict[str, int]:
    """Poll until ingest saw every published row and every lead card is labeled at its version."""
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console)
    with progress:
        ingest = progress.add_task("ingested", total=published)
        labeled = progress.add_task("labeled lead cards", total=None)
        while True:
            state = asyncio.run(pipeline_state(settings, job_id))
            progress.update(ingest, completed=state["received"])
            progress.update(labeled, completed=state["labeled"], total=state["profiles"])
            if is_drained(state, published):
                return state
            if time.monotonic() > deadline:
                raise processes.ProcessError(
                    f"pipeline did not drain in {DRAIN_DEADLINE_S:.0f}s: {state}; see "
                    f"{settings.home / 'logs'}"
                )
            time.sleep(0.25)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def summarize(console: Console, numbers: dict[str, Any]) -> bool:
    """Print the summary table and check that the numbers add up."""
    table = Table("", "count", title="Social XPress demo")
    for name, value in numbers.items():
        table.add_row(name, f"{value:,.4g}" if isinstance(value, float) else f"{value:,}")
    console.print(table)
    checks = {
        "published = stored + duplicates + rejected":
            numbers["published"] == numbers["stored"] + numbers["duplicates"] + numbers["rejected"],
        "lead cards = stored profiles": numbers["lead cards"] == numbers["profiles in Tier 1"],
        "coverage >= 80%": numbers["coverage (persona and tribe)"] >= 0.8,
    }
    for name, ok in checks.items():
        console.print(f"{'[green]ok[/]' if ok else '[red]FAILED[/]'}  {name}")
    return all(checks.values())


def run_demo(console: Console, settings: Settings, count: int, seed: int) -> bool:
    """Run the demo end to end; True when every check holds."""
    from sxp_stack.manager import stack_up

    stack_up()
    processes.services_up(settings, {})
    fixture = settings.home / "demo" / "profiles.jsonl"
    generate_file(fixture, count, seed, unreadable=5)
    started = time.monotonic()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console)
    with progress:
        report = run_publish(fixture, settings, None, progress)
    state = wait_for_drain(settings, report.job_id, report.published, console)
    elapsed = time.monotonic() - started
    counts = asyncio.run(job_counts(settings, report.job_id))
    numbers = {
        "rows in file": count + 5,
        "unreadable rows (reported by publish)": len(report.bad_rows),
        "published": report.published,
        "stored": counts.get("stored", 0),
        "duplicates": counts.get("duplicates", 0),
        "  of which new versions": counts.get("new_versions", 0),
        "rejected": counts.get("rejected", 0),
        "contact data removed": counts.get("contact_data_removed", 0),
        "profiles in Tier 1": state["profiles"],
        "lead cards": state["cards"],
        "coverage (persona and tribe)": round(state["covered"] / max(state["cards"], 1), 4),
        "seconds, publish to labeled": round(elapsed, 1),
        "profiles per second": round(report.published / elapsed, 1),
    }
    pipeline_ok = summarize(console, numbers)
    enrichment_ok = run_enrichment_step(console, settings)
    handoff_ok = handoff_step(console, settings)
    return audit_step(console, settings) and handoff_ok and enrichment_ok and pipeline_ok


def handoff_step(console: Console, settings: Settings) -> bool:
    """Hand the ready cards off as Lead Card Batch v1 over queue, file and api."""
    from sxp_cli.demo_steps import run_handoff

    with console.status("exporting lead batches (queue, file, api)"):
        counts, problems = run_handoff(settings)
    table = Table("transport", "batches delivered", "cards", title="Handoff: Lead Card Batch v1")
    for transport in ("queue", "file", "api"):
        row = counts.get(transport, {"batches": 0, "cards": 0})
        table.add_row(transport, f"{row['batches']:,}", f"{row['cards']:,}")
    console.print(table)
    for problem in problems:
        console.print(f"[red]FAILED[/]  {problem}")
    ok = not problems and all(counts.get(t, {}).get("batches") for t in ("queue", "file", "api"))
    console.print(f"{'[green]ok[/]' if ok else '[red]FAILED[/]'}  batches on every transport, "
                  "each validated and verified by the reference consumer")
    return ok


def audit_step(console: Console, settings: Settings) -> bool:
    """Verify the audit projection against the compacted topic, as an auditor would."""
    from sxp_cli.demo_steps import verify_audit

    with console.status("verifying the audit trail against sxp.audit.v1"):
        ok, detail = verify_audit(settings)
    console.print(f"{'[green]ok[/]' if ok else '[red]FAILED[/]'}  audit projection matches the "
                  f"topic: {detail}")
    return ok


def run_enrichment_step(console: Console, settings: Settings) -> bool:
    """Enrich the policy's allowed labels against the providers, then print what it did."""
    from sxp_cli.demo_steps import run_enrichment
    from sxp_common.enrichment_policy import load_policy

    policy = load_policy(settings.enrichment_policy)
    with console.status("enriching approved lead cards"):
        result = run_enrichment(settings, list(policy.allowed_labels))
    table = Table("", "value", title=f"Enrichment request {result['request_id']}")
    for key in ("status", "approved", "batches", "enriched", "failed", "reserved_usd",
                "settled_usd",
                "contacts in Tier 2 (all requests)"):
        table.add_row(key, _cell(result[key]))
    for reason, count in result["refused"].items():
        table.add_row(f"refused: {reason}", f"{count:,}")
    console.print(table)
    checks = {
        "spend within the reservation": result["settled_usd"] <= result["reserved_usd"] + 1e-6,
        "reservation within the request budget":
            result["reserved_usd"] <= policy.budget_per_request_usd + 1e-6,
        "every approved card enriched or failed":
            result["enriched"] + result["failed"] == result["cards"],
    }
    for name, ok in checks.items():
        console.print(f"{'[green]ok[/]' if ok else '[red]FAILED[/]'}  {name}")
    return all(checks.values())

"""Rich tables for `sxp stats` and the demo summary."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def render_stats(console: Console, stats: dict[str, Any]) -> None:
    """Print tables, topics and lag as three small tables plus coverage and spend."""
    tables = Table("table", "rows", title="Postgres")
    for name, rows in stats["tables"].items():
        tables.add_row(name, f"{rows:,}")
    topics = Table("topic", "messages", title="Kafka")
    for name, count in stats["topics"].items():
        topics.add_row(name, f"{count:,}")
    lag = Table("consumer group", "lag", title="Lag")
    for group, value in stats["lag"].items():
        lag.add_row(group, f"{value:,}")
    audit = Table("audit event", "count", title="Audit")
    for name, count in stats.get("audit_events", {}).items():
        audit.add_row(name, f"{count:,}")
    spend = Table("provider", "spend (USD)", title="Enrichment spend")
    for name, usd in stats.get("spend_by_provider", {}).items():
        spend.add_row(name, f"{usd:,.2f}")
    console.print(tables, topics, lag, audit, spend)
    checks = stats.get("checks", {})
    if checks:
        console.print(
            f"Tier 2 contacts by label: {checks['tier2_contacts_by_execution_label']} "
            f"(only allowed labels: {checks['tier2_only_allowed_labels']}); "
            f"Tier 1 rows with contact data: {checks['tier1_rows_with_contact_data']} "
            f"of {checks['tier1_rows_scanned']:,} scanned; within budget: {checks['within_budget']}"
        )
    console.print(
        f"label coverage (persona and tribe): [bold]{stats['coverage']:.1%}[/]   "
        f"enrichment spend: [bold]${stats['spend_usd']:,.2f}[/]"
    )

"""Reads behind `sxp stats`: rows per table, label coverage, spend, and the tier checks
(contact data only in Tier 2, only for allowed labels, none in Tier 1)."""

from __future__ import annotations

from typing import Any

import asyncpg

from sxp_common.enrichment_policy import GatePolicy
from sxp_common.redaction import contains_contact_data

TABLES = (
    "social.raw_social_profiles",
    "social.raw_social_profile_versions",
    "execution.lead_cards",
    "contact.contacts",
    "contact.businesses",
    "contact.provider_responses",
    "enrichment.requests",
    "enrichment.batches",
    "audit.audit_log",
)


async def table_stats(conn: asyncpg.Connection) -> dict[str, Any]:
    """Row counts per table (by table name) plus coverage and readiness of lead cards."""
    tables = {}
    for table in TABLES:
        tables[table.split(".", 1)[1]] = await conn.fetchval(f"SELECT count(*) FROM {table}")
    row = await conn.fetchrow(
        """SELECT count(*) AS cards,
                  count(*) FILTER (WHERE persona IS NOT NULL AND tribe IS NOT NULL) AS covered,
                  count(*) FILTER (WHERE labeled_at IS NOT NULL) AS labeled
           FROM execution.lead_cards"""
    )
    readiness = {
        r["readiness"]: r["n"]
        for r in await conn.fetch(
            "SELECT readiness, count(*) AS n FROM execution.lead_cards GROUP BY readiness"
        )
    }
    ingest = await conn.fetchrow(
        """SELECT coalesce(sum(received), 0)::bigint AS received,
                  coalesce(sum(stored), 0)::bigint AS stored,
                  coalesce(sum(duplicates), 0)::bigint AS duplicates,
                  coalesce(sum(new_versions), 0)::bigint AS new_versions,
                  coalesce(sum(rejected), 0)::bigint AS rejected,
                  coalesce(sum(contact_data_removed), 0)::bigint AS contact_data_removed
           FROM ops.ingest_job_counts"""
    )
    coverage = row["covered"] / row["cards"] if row["cards"] else 0.0
    spend = await conn.fetchrow(
        """SELECT coalesce(sum(settled_usd), 0)::float8 AS settled,
                  coalesce(sum(reserved_usd) FILTER (WHERE settled_at IS NULL), 0)::float8 AS
                  reserved
           FROM enrichment.batches"""
    )
    by_provider = {
        r["provider"]: r["usd"]
        for r in await conn.fetch(
            """SELECT provider, sum(amount_usd)::float8 AS usd FROM enrichment.ledger
               WHERE kind = 'settle' GROUP BY provider ORDER BY provider"""
        )
    }
    audit_events = {
        r["event_type"]: r["n"]
        for r in await conn.fetch(
            "SELECT event_type, count(*) AS n FROM audit.audit_log GROUP BY event_type ORDER BY "
            "event_type"
        )
    }
    enrichment = {
        r["enrichment_status"]: r["n"]
        for r in await conn.fetch(
            "SELECT enrichment_status, count(*) AS n FROM execution.lead_cards GROUP BY 1 ORDER BY "
            "1"
        )
    }
    return {
        "tables": tables,
        "coverage": round(coverage, 4),
        "labeled": row["labeled"],
        "readiness": readiness,
        "ingest": dict(ingest),
        "spend_usd": round(spend["settled"], 4),
        "reserved_usd": round(spend["reserved"], 4),
        "spend_by_provider": by_provider,
        "audit_events": audit_events,
        "enrichment": enrichment,
    }


TIER1_SCAN_LIMIT = 200_000
_TIER1_TEXT = """SELECT bio, display_name, location, category, external_url, profile_url
                 FROM social.raw_social_profiles ORDER BY last_seen DESC LIMIT $1"""


async def tier_checks(conn: asyncpg.Connection, policy: GatePolicy) -> dict[str, Any]:
    """Tier 2 contacts per execution label, spend against budgets, and a Tier 1 contact scan."""
    by_label = {
        r["label"] or "unlabeled": r["n"]
        for r in await conn.fetch(
            """SELECT c.execution_label AS label, count(*) AS n FROM contact.contacts t
               JOIN execution.lead_cards c USING (lead_card_id) GROUP BY 1 ORDER BY 1""")
    }
    spent_today = await conn.fetchval(
        """SELECT coalesce(sum(coalesce(settled_usd, reserved_usd)), 0)::float8
           FROM enrichment.batches WHERE created_at >= date_trunc('day', now())""")
    largest_request = await conn.fetchval(
        "SELECT coalesce(max(reserved_usd), 0)::float8 FROM enrichment.requests")
    scanned, findings = 0, 0
    async with conn.transaction(readonly=True):
        async for row in conn.cursor(_TIER1_TEXT, TIER1_SCAN_LIMIT):
            scanned += 1
            findings += any(contains_contact_data(value) for value in row.values() if value)
    return {
        "tier2_contacts_by_execution_label": by_label,
        "tier2_only_allowed_labels": set(by_label) <= set(policy.allowed_labels),
        "spend_today_usd": round(spent_today, 4),
        "budget_per_day_usd": policy.budget_per_day_usd,
        "largest_request_reserved_usd": round(largest_request, 4),
        "budget_per_request_usd": policy.budget_per_request_usd,
        "within_budget": spent_today <= policy.budget_per_day_usd + 1e-6
        and largest_request <= policy.budget_per_request_usd + 1e-6,
        "tier1_rows_scanned": scanned,
        "tier1_rows_with_contact_data": findings,
    }

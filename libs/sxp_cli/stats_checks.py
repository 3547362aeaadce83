"""The tier checks `sxp stats` reports: contact data only in Tier 2, only for allowed labels."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.enrichment_gate.domain import GatePolicy
from sxp_common.redaction import contains_contact_data

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

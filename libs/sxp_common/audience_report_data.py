"""Reading what the market report shows, for one audience (sxp_reader or sxp_api).

Every split counts the audience's current members (audience.members joined to their cards);
spend is each enrichment batch's settled (or, while open, reserved) amount shared out per card,
summed over the members' share. The page itself is `sxp_common.audience_report`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from sxp_common.audience_lookup import audience_by_name
from sxp_common.audience_report import ReportData

HISTORY_POINTS = 60

_SPLITS = """
SELECT c.platform, coalesce(c.tribe, 'unassigned') AS tribe,
       coalesce(nullif(split_part(c.audience_pool, '.', 3), ''), 'unknown') AS tier,
       CASE WHEN c.execution_label_confidence IS NULL THEN 'no label'
            ELSE to_char(least(floor(c.execution_label_confidence * 10), 9) / 10, 'FM0.0')
                 || '-' || to_char(least(floor(c.execution_label_confidence * 10), 9) / 10
                 + 0.1, 'FM0.0') END AS confidence,
       c.enrichment_status AS enrichment, count(*)::int AS n
FROM audience.members m JOIN execution.lead_cards c ON c.lead_card_id = m.lead_card_id
WHERE m.audience_id = $1::uuid
GROUP BY 1, 2, 3, 4, 5
"""

_HISTORY = """
SELECT taken_at, members FROM (
    SELECT taken_at, members FROM audience.size_history WHERE audience_id = $1::uuid
    ORDER BY taken_at DESC LIMIT $2) recent
ORDER BY taken_at
"""

_SPEND = """
SELECT coalesce(sum(coalesce(b.settled_usd, b.reserved_usd)::float8
           * (SELECT count(*) FROM unnest(b.lead_card_ids) AS u(id)
              JOIN audience.members m ON m.audience_id = $1::uuid AND m.lead_card_id = u.id)
           / greatest(cardinality(b.lead_card_ids), 1)), 0)::float8
FROM enrichment.batches b
WHERE EXISTS (SELECT 1 FROM audience.members m
              WHERE m.audience_id = $1::uuid AND m.lead_card_id = ANY(b.lead_card_ids))
"""


async def load_report(conn: asyncpg.Connection, name: str) -> ReportData:
    """The report of the live audience `name` (UnknownAudience when there is none)."""
    ref = await audience_by_name(conn, name)
    description = await conn.fetchval(
        "SELECT description FROM audience.audiences WHERE audience_id = $1::uuid",
        ref.audience_id)
    splits: dict[str, dict[str, int]] = {k: {} for k in ("platform", "tribe", "tier",
                                                         "confidence", "enrichment")}
    total = 0
    for row in await conn.fetch(_SPLITS, ref.audience_id):
        total += row["n"]
        for key, counts in splits.items():
            counts[row[key]] = counts.get(row[key], 0) + row["n"]
    history = [(r["taken_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), r["members"])
               for r in await conn.fetch(_HISTORY, ref.audience_id, HISTORY_POINTS)]
    spend = float(await conn.fetchval(_SPEND, ref.audience_id))
    return ReportData(
        name=ref.name, description=description or "", criteria_hash=ref.criteria_hash,
        version=ref.version, generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        members=total, size_history=history, by_platform=splits["platform"],
        by_tribe=splits["tribe"], by_tier=splits["tier"], confidence=splits["confidence"],
        enrichment=splits["enrichment"], spend_usd=round(spend, 2))

"""Tier 3 label writes: one batched UPDATE of the label columns the labeler role may touch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

# Only the card's current profile version is labeled: a late message for an older
# version updates nothing and is not announced. Nor is a card whose labels come out as they
# are (a redelivery, or a replay after a rule change that does not touch it): the model
# version alone changing is no change, so its revision, updated_at and downstream stay put.
_UPDATE_LABELS = """
UPDATE execution.lead_cards AS c SET
    readiness = CASE WHEN c.readiness = 'ENRICHED' THEN c.readiness ELSE u.readiness END,
    audience_pool = u.audience_pool,
    persona = u.persona, persona_confidence = u.persona_confidence,
    tribe = u.tribe, tribe_confidence = u.tribe_confidence,
    industry = u.industry, industry_confidence = u.industry_confidence,
    execution_label = u.execution_label, execution_label_confidence = u.execution_confidence,
    label_evidence = u.evidence, taxonomy_version = u.taxonomy_version,
    labeled_profile_version = u.profile_version, labeled_at = now(), updated_at = now()
FROM unnest(
    $1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[],
    $8::float8[], $9::text[], $10::float8[], $11::text[], $12::float8[], $13::jsonb[],
    $14::text[]
) AS u(lead_card_id, profile_version, readiness, audience_pool, persona, persona_confidence,
       tribe, tribe_confidence, industry, industry_confidence, execution_label,
       execution_confidence, evidence, taxonomy_version)
WHERE c.lead_card_id = u.lead_card_id AND c.profile_version = u.profile_version
  AND ROW(c.readiness, c.audience_pool, c.persona, c.persona_confidence, c.tribe,
          c.tribe_confidence, c.industry, c.industry_confidence, c.execution_label,
          c.execution_label_confidence, c.label_evidence - 'model_version', c.taxonomy_version,
          c.labeled_profile_version)
      IS DISTINCT FROM
      ROW(CASE WHEN c.readiness = 'ENRICHED' THEN c.readiness ELSE u.readiness END,
          u.audience_pool, u.persona, u.persona_confidence, u.tribe, u.tribe_confidence,
          u.industry, u.industry_confidence, u.execution_label, u.execution_confidence,
          u.evidence - 'model_version', u.taxonomy_version, u.profile_version)
RETURNING c.lead_card_id::text
"""

COLUMNS = (
    "lead_card_id", "profile_version", "readiness", "audience_pool", "persona",
    "persona_confidence", "tribe", "tribe_confidence", "industry", "industry_confidence",
    "execution_label", "execution_label_confidence", "label_evidence", "taxonomy_version",
)


async def update_labels(conn: asyncpg.Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Write the labels that changed; return the ids of the cards written (at the labeled
    version, with labels other than they had)."""
    if not rows:
        return set()
    args = [[row[c] for row in rows] for c in COLUMNS]
    evidence = COLUMNS.index("label_evidence")
    args[evidence] = [json.dumps(e) for e in args[evidence]]
    return {r["lead_card_id"] for r in await conn.fetch(_UPDATE_LABELS, *args)}

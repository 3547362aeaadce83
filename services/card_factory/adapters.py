"""Tier 3 writes for the card factory: one lead card per profile, batched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

# A newer profile version replaces the card's structure and sends it back to STRUCTURED
# so the labeler labels the new content; an older or equal version changes nothing.
_UPSERT_CARDS = """
INSERT INTO execution.lead_cards AS c (
    lead_card_id, profile_id, profile_version, content_hash, job_id, platform, username,
    readiness, base_confidence, audience_pool
)
SELECT * FROM unnest(
    $1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::float8[], $10::text[]
)
ON CONFLICT (lead_card_id) DO UPDATE SET
    profile_version = EXCLUDED.profile_version, content_hash = EXCLUDED.content_hash,
    job_id = EXCLUDED.job_id, username = EXCLUDED.username,
    readiness = CASE WHEN c.readiness = 'ENRICHED' THEN c.readiness ELSE 'STRUCTURED' END,
    base_confidence = EXCLUDED.base_confidence, audience_pool = EXCLUDED.audience_pool,
    updated_at = now()
WHERE c.profile_version < EXCLUDED.profile_version
"""

_CURRENT_VERSIONS = """
SELECT lead_card_id::text, profile_version FROM execution.lead_cards
WHERE lead_card_id = ANY($1::uuid[])
"""


async def upsert_cards(conn: asyncpg.Connection, cards: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Upsert the cards; return each card's stored profile version afterwards."""
    if not cards:
        return {}
    await conn.execute(
        _UPSERT_CARDS,
        *[
            [card[f] for card in cards]
            for f in (
                "lead_card_id", "profile_id", "profile_version", "content_hash", "job_id",
                "platform", "username", "readiness", "base_confidence", "audience_pool",
            )
        ],
    )
    rows = await conn.fetch(_CURRENT_VERSIONS, [card["lead_card_id"] for card in cards])
    return {r["lead_card_id"]: r["profile_version"] for r in rows}

"""The adapter's database work: cached provider answers, Tier 2 rows, card status, settlement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.adapter.domain import CardOutcome, idempotency_key, provenance
from services.adapter.providers.models import ProviderResult


async def approved_batch(conn: asyncpg.Connection, batch_id: str) -> dict[str, Any] | None:
    """The batch as the gate approved it (items, providers, reservation) and where it stands."""
    row = await conn.fetchrow(
        """SELECT batch_id, request_id, status, providers, items, reserved_usd::float8 AS
        reserved_usd,
                  outcome IS NOT NULL AS settled
           FROM enrichment.batches WHERE batch_id = $1""", batch_id)
    return None if row is None else dict(row, items=json.loads(row["items"]),
                                         providers=list(row["providers"]))


async def cached_results(conn: asyncpg.Connection,
                         keys: Sequence[str]) -> dict[str, tuple[ProviderResult, str | None]]:
    """Provider answers already paid for, by idempotency key, with the batch that paid
    (errors are never reused: they are asked again)."""
    rows = await conn.fetch(
        """SELECT idempotency_key, result, batch_id FROM contact.provider_responses
           WHERE idempotency_key = ANY($1::text[]) AND status <> 'failed'""",
        list(keys),
    )
    return {r["idempotency_key"]: (ProviderResult.model_validate_json(r["result"]),
                                   r["batch_id"]) for r in rows}


async def store_results(conn: asyncpg.Connection, results: Sequence[ProviderResult],
                        batch_id: str) -> int:
    """Keep every new provider answer under its idempotency key, paid by `batch_id`; an
    answer replaces a stored error, never a stored answer. Errors are not kept."""
    rows = [(idempotency_key(r.lead_card_id, r.provider), r.lead_card_id, r.provider, r.request_id,
             r.status,
             r.cost_usd, r.model_dump_json(), r.fetched_at,
             batch_id) for r in results if r.status != "failed"]
    if rows:
        await conn.executemany(
            """INSERT INTO contact.provider_responses
                   (idempotency_key, lead_card_id, provider, request_id, status, cost_usd, result,
                   fetched_at, batch_id)
               VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::jsonb, $8, $9)
               ON CONFLICT (idempotency_key) DO UPDATE SET request_id = EXCLUDED.request_id,
                   status = EXCLUDED.status, cost_usd = EXCLUDED.cost_usd, result = EXCLUDED.result,
                   fetched_at = EXCLUDED.fetched_at, batch_id = EXCLUDED.batch_id
               WHERE contact.provider_responses.status = 'failed'""",
            rows,
        )
    return len(rows)


_CONTACT_COLUMNS = ("full_name", "title", "email", "email_status", "phone", "phone_type",
                    "do_not_call",
                    "linkedin_url", "city", "state", "country")
_BUSINESS_COLUMNS = ("name", "domain", "industry", "phone", "city", "state", "country")


async def write_tier2(conn: asyncpg.Connection, outcomes: Sequence[CardOutcome]) -> None:
    """Upsert businesses, then contacts, for every enriched card, with provenance per field."""
    businesses, contacts = [], []
    for o in outcomes:
        if o.match is None:
            continue
        if o.match.business and o.business_id:
            values = o.match.business.model_dump(include=set(_BUSINESS_COLUMNS))
            businesses.append((o.business_id, *[values[c] for c in _BUSINESS_COLUMNS],
                               json.dumps(provenance(o.match, values))))
        if o.match.contact and o.contact_id:
            values = o.match.contact.model_dump(include=set(_CONTACT_COLUMNS))
            contacts.append((o.contact_id, o.lead_card_id, o.business_id,
                             *[values[c] for c in _CONTACT_COLUMNS],
                             json.dumps(provenance(o.match, values))))
    if businesses:
        columns, m = ", ".join(_BUSINESS_COLUMNS), len(_BUSINESS_COLUMNS)
        params = ", ".join(f"${k}" for k in range(2, 2 + m))
        await conn.executemany(
            f"""INSERT INTO contact.businesses (business_id, {columns}, provenance)
                VALUES ($1, {params}, ${2 + m}::jsonb)
                ON CONFLICT (business_id) DO NOTHING""",
            businesses,
        )
    if contacts:
        columns, n = ", ".join(_CONTACT_COLUMNS), len(_CONTACT_COLUMNS)
        params = ", ".join(f"${k}" for k in range(4, 4 + n))
        await conn.executemany(
            f"""INSERT INTO contact.contacts
                    (contact_id, lead_card_id, business_id, {columns}, provenance)
                VALUES ($1, $2::uuid, $3::uuid, {params}, ${4 + n}::jsonb)
                ON CONFLICT (contact_id) DO UPDATE SET updated_at = now()""",
            contacts,
        )


async def update_cards(conn: asyncpg.Connection, outcomes: Sequence[CardOutcome]) -> None:
    """REQUESTED → ENRICHED (linked to Tier 2 by id) or FAILED."""
    await conn.executemany(
        """UPDATE execution.lead_cards SET enrichment_status = $2, contact_id = $3::uuid,
               business_id = $4::uuid,
               readiness = CASE WHEN $2 = 'ENRICHED' THEN 'ENRICHED' ELSE readiness END,
               updated_at = now()
           WHERE lead_card_id = $1::uuid AND enrichment_status = 'REQUESTED'""",
        [(o.lead_card_id, o.status, o.contact_id, o.business_id) for o in outcomes],
    )


async def settle_batch(
    conn: asyncpg.Connection, batch_id: str, reserved: float,
    by_provider: dict[str, dict[str, float]],
    status: str, record: dict[str, Any],
) -> float:
    """Settle what providers charged, release the rest of the reservation; return the settled
    total."""
    settled = round(sum(p["cost_usd"] for p in by_provider.values()), 4)
    entries = [(batch_id, "settle", provider,
                row["cost_usd"]) for provider, row in by_provider.items()]
    entries.append((batch_id, "release", "*", round(max(reserved - settled, 0.0), 4)))
    await conn.executemany(
        """INSERT INTO enrichment.ledger (batch_id, kind, provider, amount_usd) VALUES ($1, $2, $3,
        $4)
           ON CONFLICT (batch_id, kind, provider) DO NOTHING""",
        entries,
    )
    await conn.execute(
        """UPDATE enrichment.batches SET settled_usd = $2, status = $3, outcome = $4::jsonb,
        settled_at = now()
           WHERE batch_id = $1""",
        batch_id, settled, status, json.dumps(record, default=str),
    )
    return settled

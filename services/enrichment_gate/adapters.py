"""The gate's database work: candidates, today's spend, and recording a decision atomically."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.enrichment_gate.domain import Candidate, GateDecision, GatePolicy
from services.enrichment_gate.planning import effective_limit, wants_more_candidates
from services.enrichment_gate.records import requester_name

BUDGET_LOCK = "sxp-enrichment-budget"
MAX_CANDIDATES = 50_000

_CANDIDATES = """
SELECT c.lead_card_id::text AS lead_card_id, c.execution_label, c.persona,
       coalesce(c.execution_label_confidence, 0) AS confidence,
       p.display_name, p.location, p.external_url
FROM execution.lead_cards c JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
WHERE c.execution_label = ANY($1::text[]) AND c.enrichment_status = $3
ORDER BY c.execution_label_confidence DESC NULLS LAST, c.lead_card_id
LIMIT $2
"""

# An audience's members, best-qualified first: the cached score at the card's current content
# hash and the audience's current criteria hash (unscored members last), then the usual order.
_AUDIENCE_CANDIDATES = """
SELECT c.lead_card_id::text AS lead_card_id, c.execution_label, c.persona,
       coalesce(c.execution_label_confidence, 0) AS confidence,
       p.display_name, p.location, p.external_url
FROM audience.members m
JOIN audience.audiences a ON a.audience_id = m.audience_id AND a.deleted_at IS NULL
JOIN execution.lead_cards c ON c.lead_card_id = m.lead_card_id
JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
LEFT JOIN audience.qualifications q
       ON q.audience_id = m.audience_id AND q.lead_card_id = m.lead_card_id
      AND q.content_hash = c.content_hash AND q.criteria_hash = a.criteria_hash
WHERE m.audience_id = $4::uuid AND c.enrichment_status = $3
  AND (cardinality($1::text[]) = 0 OR c.execution_label = ANY($1::text[]))
ORDER BY q.score DESC NULLS LAST, c.execution_label_confidence DESC NULLS LAST, c.lead_card_id
LIMIT $2
"""

_SPENT_TODAY = """
SELECT coalesce(sum(coalesce(settled_usd, reserved_usd)), 0)::float8
FROM enrichment.batches WHERE created_at >= date_trunc('day', now())
"""


def candidate_status(retry_failed: bool) -> str:
    """Cards never enriched (NONE), or with --retry-failed the ones that ended FAILED."""
    return "FAILED" if retry_failed else "NONE"


async def fetch_candidates(
    conn: asyncpg.Connection, labels: list[str], window: int, retry_failed: bool = False,
    audience_id: str | None = None,
) -> list[Candidate]:
    """The first `window` lead cards with one of the labels, not yet requested (or FAILED),
    most confident first; with an audience, only its members (any label when `labels` is
    empty), best-qualified first."""
    status = candidate_status(retry_failed)
    if audience_id is None:
        rows = await conn.fetch(_CANDIDATES, labels, window, status)
    else:
        rows = await conn.fetch(_AUDIENCE_CANDIDATES, labels, window, status, audience_id)
    return [Candidate(**dict(r)) for r in rows]


async def candidates_for(conn: asyncpg.Connection, policy: GatePolicy,
                         command: dict[str, Any]) -> list[Candidate]:
    """The candidates a REQUEST or DRY_RUN decides over: four times its limit (every card up
    to MAX_CANDIDATES without one), widened fourfold while the window holds fewer cards the
    policy could approve than the limit asks for (planning.wants_more_candidates)."""
    limit = effective_limit(command)
    window = min(limit * 4, MAX_CANDIDATES) if limit else MAX_CANDIDATES
    while True:
        candidates = await fetch_candidates(conn, list(command["labels"]), window,
                                            bool(command.get("retry_failed")),
                                            command.get("audience_id"))
        if window >= MAX_CANDIDATES or not wants_more_candidates(policy, command, candidates,
                                                                 window):
            return candidates
        window = min(window * 4, MAX_CANDIDATES)


async def spent_today(conn: asyncpg.Connection) -> float:
    """Reserved-or-settled spend of batches created today (UTC)."""
    return float(await conn.fetchval(_SPENT_TODAY))


async def lock_budget(conn: asyncpg.Connection) -> None:
    """Serialize budget decisions across gate instances until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", BUDGET_LOCK)


async def stored_batches(conn: asyncpg.Connection, request_id: str) -> list[dict[str, Any]] | None:
    """The batches of a request already decided (None when the request is new)."""
    if not await conn.fetchval("SELECT 1 FROM enrichment.requests WHERE request_id = $1",
                               request_id):
        return None
    rows = await conn.fetch(
        """SELECT batch_id, providers, items, reserved_usd::float8 AS reserved_usd, created_at
           FROM enrichment.batches WHERE request_id = $1 ORDER BY batch_id""",
        request_id,
    )
    return [dict(r, items=json.loads(r["items"])) for r in rows]


async def answered(conn: asyncpg.Connection, request_id: str) -> bool:
    """True when a DRY_RUN or REAP command was answered already (a redelivery)."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM enrichment.command_answers WHERE request_id = $1", request_id))


async def record_answer(conn: asyncpg.Connection, command: dict[str, Any],
                        answer: dict[str, Any]) -> None:
    """Store the answer to a DRY_RUN or REAP command, for the CLI to read back."""
    await conn.execute(
        """INSERT INTO enrichment.command_answers (request_id, kind, requested_by, answer)
           VALUES ($1, $2, $3, $4)""",
        command["request_id"], command["kind"], requester_name(command), json.dumps(answer))


async def record_decision(
    conn: asyncpg.Connection, command: dict[str, Any], decision: GateDecision, policy: GatePolicy
) -> list[str]:
    """Insert request, batches and reservations; mark the cards REQUESTED. Returns those ids."""
    await conn.execute(
        """INSERT INTO enrichment.requests (request_id, labels, min_confidence, requested_limit,
               budget_usd, requested_by, status, approved_count, refused, reserved_usd)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        decision.request_id, command["labels"], command.get("min_confidence"), command.get("limit"),
        command.get("budget_usd"),
        requester_name(command),
        decision.status, decision.approved_count, json.dumps(decision.refusal_counts()),
        decision.reserved_usd,
    )
    marked: list[str] = []
    for batch in decision.batches:
        ids = [item["lead_card_id"] for item in batch.items]
        await conn.execute(
            """INSERT INTO enrichment.batches (batch_id, request_id, lead_card_ids, providers,
            items, reserved_usd)
               VALUES ($1, $2, $3::uuid[], $4, $5, $6)""",
            batch.batch_id, decision.request_id, ids, list(policy.providers),
            json.dumps(list(batch.items)), batch.reserved_usd,
        )
        await conn.execute(
            "INSERT INTO enrichment.ledger (batch_id, kind, amount_usd) VALUES ($1, 'reserve', $2)",
            batch.batch_id, batch.reserved_usd,
        )
        rows = await conn.fetch(
            """UPDATE execution.lead_cards SET enrichment_status = 'REQUESTED', updated_at = now()
               WHERE lead_card_id = ANY($1::uuid[]) AND enrichment_status = $2
               RETURNING lead_card_id::text""",
            ids, candidate_status(bool(command.get("retry_failed"))),
        )
        marked += [r["lead_card_id"] for r in rows]
    return marked

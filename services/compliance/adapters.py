"""Erasure SQL: one subject's rows out of every tier, in one transaction, as sxp_compliance."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.compliance.domain import document_without, items_without

_SUBJECT = """
SELECT p.profile_id, c.lead_card_id, c.contact_id, c.business_id
  FROM social.raw_social_profiles p LEFT JOIN execution.lead_cards c USING (profile_id)
 WHERE p.identity_hash = $1
"""


async def erase_subject(conn: asyncpg.Connection, identity_hash: str) -> dict[str, Any]:
    """Delete the subject everywhere; return the card ids and the rows removed per table."""
    subject = await conn.fetchrow(_SUBJECT, identity_hash)
    erased: dict[str, int] = {}
    if subject is None:
        return {"lead_card_ids": [], "erased": erased}
    card = subject["lead_card_id"]
    if card is not None:
        erased["handoff_documents"] = await _rewrite_documents(conn, card)
        erased["enrichment_items"] = await _rewrite_items(conn, card)
        erased.update(await _delete_card(conn, card, subject["business_id"]))
    erased["profile_versions"] = _count(await conn.execute(
        "DELETE FROM social.raw_social_profile_versions WHERE profile_id = $1",
        subject["profile_id"]))
    erased["profiles"] = _count(await conn.execute(
        "DELETE FROM social.raw_social_profiles WHERE profile_id = $1", subject["profile_id"]))
    return {"lead_card_ids": [str(card)] if card is not None else [], "erased": erased}


async def _delete_card(conn: asyncpg.Connection, card: Any, business: Any) -> dict[str, int]:
    counts = {
        "handoff_items": "DELETE FROM execution.handoff_items WHERE lead_card_id = $1",
        "provider_responses": "DELETE FROM contact.provider_responses WHERE lead_card_id = $1",
        "contacts": "DELETE FROM contact.contacts WHERE lead_card_id = $1",
        "lead_cards": "DELETE FROM execution.lead_cards WHERE lead_card_id = $1",
    }
    erased = {table: _count(await conn.execute(sql, card)) for table, sql in counts.items()}
    # A business another card or contact still points at is theirs too: it stays.
    erased["businesses"] = _count(await conn.execute("""
        DELETE FROM contact.businesses b WHERE b.business_id = $1
           AND NOT EXISTS (SELECT 1 FROM contact.contacts k WHERE k.business_id = b.business_id)
           AND NOT EXISTS (SELECT 1 FROM execution.lead_cards c
                            WHERE c.business_id = b.business_id)""", business)) if business else 0
    return erased


async def _rewrite_documents(conn: asyncpg.Connection, card: Any) -> int:
    rows = await conn.fetch("""
        SELECT b.batch_id, b.document FROM execution.handoff_batches b
         WHERE b.document IS NOT NULL AND b.batch_id IN (
               SELECT batch_id FROM execution.handoff_items WHERE lead_card_id = $1)
         FOR UPDATE""", card)
    for row in rows:
        text, checksum, _ = document_without(row["document"], {str(card)})
        await conn.execute("""UPDATE execution.handoff_batches SET document = $2, checksum = $3,
                              updated_at = now() WHERE batch_id = $1""",
                           row["batch_id"], text, checksum)
    return len(rows)


async def _rewrite_items(conn: asyncpg.Connection, card: Any) -> int:
    rows = await conn.fetch("""SELECT batch_id, items FROM enrichment.batches
                               WHERE $1 = ANY(lead_card_ids) FOR UPDATE""", card)
    for row in rows:
        items = row["items"] if isinstance(row["items"], list) else json.loads(row["items"])
        await conn.execute("UPDATE enrichment.batches SET items = $2::jsonb WHERE batch_id = $1",
                           row["batch_id"], json.dumps(items_without(items, {str(card)})))
    return len(rows)


async def suppress(conn: asyncpg.Connection, subject: str, request_id: str) -> None:
    await conn.execute("""INSERT INTO compliance.suppressions (subject_hash, request_id)
                          VALUES ($1, $2) ON CONFLICT (subject_hash) DO NOTHING""",
                       subject, request_id)


async def answered(conn: asyncpg.Connection, request_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT 1 FROM compliance.erasures WHERE request_id = $1", request_id))


async def record_answer(conn: asyncpg.Connection, request_id: str, subject: str,
                        requested_by: str, erased: dict[str, int]) -> None:
    await conn.execute("""INSERT INTO compliance.erasures (request_id, subject_hash, requested_by,
                          erased) VALUES ($1, $2, $3, $4::jsonb)""",
                       request_id, subject, requested_by, json.dumps(erased))


def _count(status: str) -> int:
    """Rows of a DELETE's status line ("DELETE 3")."""
    return int(status.split()[-1])

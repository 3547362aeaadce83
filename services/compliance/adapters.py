"""Erasure SQL: a subject's rows (or, for retention, many cards' and profiles') out of every
tier, inside the caller's transaction, as sxp_compliance."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg

from services.compliance.domain import document_without, items_without

_SUBJECT = """
SELECT p.profile_id, c.lead_card_id, c.contact_id, c.business_id
  FROM social.raw_social_profiles p LEFT JOIN execution.lead_cards c USING (profile_id)
 WHERE p.identity_hash = $1
"""


async def erase_subject(conn: asyncpg.Connection, identity_hash: str) -> dict[str, Any]:
    """Delete the subject everywhere; return its profile id, its card ids and the rows
    removed per table."""
    subject = await conn.fetchrow(_SUBJECT, identity_hash)
    erased: dict[str, int] = {}
    if subject is None:
        return {"profile_id": None, "lead_card_ids": [], "erased": erased}
    card = subject["lead_card_id"]
    if card is not None:
        erased.update(await delete_cards(conn, [card]))
    erased.update(await delete_profiles(conn, [subject["profile_id"]]))
    return {"profile_id": str(subject["profile_id"]),
            "lead_card_ids": [str(card)] if card is not None else [], "erased": erased}


async def delete_cards(conn: asyncpg.Connection, cards: list[Any]) -> dict[str, int]:
    """Delete these lead cards and what hangs off them (handoff items, audience rows, the
    contact, provider answers, a business nobody else points at), after taking them out of
    the stored batch documents and enrichment items; rows removed per table."""
    businesses = [r["business_id"] for r in await conn.fetch(
        """SELECT DISTINCT business_id FROM execution.lead_cards
            WHERE lead_card_id = ANY($1::uuid[]) AND business_id IS NOT NULL""", cards)]
    gone = {str(card) for card in cards}
    erased = {"handoff_documents": await rewrite_documents(
                  conn, cards, lambda text: document_without(text, gone)),
              "enrichment_items": await _rewrite_items(conn, cards)}
    statements = {
        # Memberships would go with the card (ON DELETE CASCADE); qualifications have no
        # foreign key and would not: both are deleted here, and counted.
        "audience_members": "DELETE FROM audience.members WHERE lead_card_id = ANY($1::uuid[])",
        "audience_qualifications":
            "DELETE FROM audience.qualifications WHERE lead_card_id = ANY($1::uuid[])",
        "handoff_items": "DELETE FROM execution.handoff_items WHERE lead_card_id = ANY($1::uuid[])",
        "provider_responses":
            "DELETE FROM contact.provider_responses WHERE lead_card_id = ANY($1::uuid[])",
        "contacts": "DELETE FROM contact.contacts WHERE lead_card_id = ANY($1::uuid[])",
        "lead_cards": "DELETE FROM execution.lead_cards WHERE lead_card_id = ANY($1::uuid[])",
    }
    for table, sql in statements.items():
        erased[table] = count_of(await conn.execute(sql, cards))
    erased["businesses"] = await delete_unshared_businesses(conn, businesses)
    return erased


async def delete_unshared_businesses(conn: asyncpg.Connection, businesses: list[Any]) -> int:
    """Delete these businesses unless a card or contact still points at them (a business
    another card or contact points at is theirs too: it stays)."""
    if not businesses:
        return 0
    return count_of(await conn.execute("""
        DELETE FROM contact.businesses b WHERE b.business_id = ANY($1::uuid[])
           AND NOT EXISTS (SELECT 1 FROM contact.contacts k WHERE k.business_id = b.business_id)
           AND NOT EXISTS (SELECT 1 FROM execution.lead_cards c
                            WHERE c.business_id = b.business_id)""", businesses))


async def delete_profiles(conn: asyncpg.Connection, profiles: list[Any]) -> dict[str, int]:
    """Delete these Tier 1 profiles and their versions (their cards must be gone already)."""
    return {
        "profile_versions": count_of(await conn.execute(
            "DELETE FROM social.raw_social_profile_versions WHERE profile_id = ANY($1::uuid[])",
            profiles)),
        "profiles": count_of(await conn.execute(
            "DELETE FROM social.raw_social_profiles WHERE profile_id = ANY($1::uuid[])",
            profiles)),
    }


async def rewrite_documents(conn: asyncpg.Connection, cards: list[Any],
                            rewrite: Callable[[str], tuple[str, str, int]]) -> int:
    """Rewrite every stored batch document that went out with one of these cards (the one
    place a stored document changes: an erasure takes cards out, retention Tier 2 values);
    `rewrite` gives (text, checksum, cards changed). Documents changed."""
    rows = await conn.fetch("""
        SELECT b.batch_id, b.document FROM execution.handoff_batches b
         WHERE b.document IS NOT NULL AND b.batch_id IN (
               SELECT batch_id FROM execution.handoff_items WHERE lead_card_id = ANY($1::uuid[]))
         FOR UPDATE""", cards)
    changed = 0
    for row in rows:
        text, checksum, cards_changed = rewrite(row["document"])
        if not cards_changed:
            continue
        await conn.execute("""UPDATE execution.handoff_batches SET document = $2, checksum = $3,
                              updated_at = now() WHERE batch_id = $1""",
                           row["batch_id"], text, checksum)
        changed += 1
    return changed


async def _rewrite_items(conn: asyncpg.Connection, cards: list[Any]) -> int:
    rows = await conn.fetch("""SELECT batch_id, items FROM enrichment.batches
                               WHERE lead_card_ids && $1::uuid[] FOR UPDATE""", cards)
    gone = {str(card) for card in cards}
    for row in rows:
        items = row["items"] if isinstance(row["items"], list) else json.loads(row["items"])
        await conn.execute("UPDATE enrichment.batches SET items = $2::jsonb WHERE batch_id = $1",
                           row["batch_id"], json.dumps(items_without(items, gone)))
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


def count_of(status: str) -> int:
    """Rows of a DELETE's status line ("DELETE 3")."""
    return int(status.split()[-1])

"""Retention SQL: delete what is past its age, rule by rule, inside the caller's transaction,
as sxp_compliance. Which rows are past their age is the domain's cutoff (`stamp < cutoff`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from services.compliance.adapters import count_of, delete_cards, rewrite_documents
from services.compliance.dead_letters import expire_dead_letters
from services.compliance.domain import document_without_tier2


class _DryRun(Exception):
    """Raised inside the savepoint of a dry run, so that everything it deleted comes back."""


async def apply_retention(conn: asyncpg.Connection, cutoffs: dict[str, datetime | None],
                          dry_run: bool) -> dict[str, dict[str, int]]:
    """Rows deleted per rule and table; a dry run counts the same deletes and rolls them
    back (a savepoint), so its counts are exactly what a run at that moment would delete."""
    deleted: dict[str, dict[str, int]] = {}
    try:
        async with conn.transaction():
            deleted["unseen"] = await _unseen(conn, cutoffs["unseen"])
            deleted["tier2"] = await _tier2(conn, cutoffs["tier2"])
            deleted["provider_responses"] = await _provider_responses(
                conn, cutoffs["provider_responses"])
            deleted["dead_letters"] = await expire_dead_letters(conn, cutoffs["dead_letters"])
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return deleted


async def _unseen(conn: asyncpg.Connection, cutoff: datetime | None) -> dict[str, int]:
    """Profiles no submission has seen since the cutoff, with their cards and all below."""
    if cutoff is None:
        return {}
    # No row lock (that would need an UPDATE grant on Tier 1): a profile seen again while the
    # run deletes is caught below, and the whole run rolls back and is redelivered.
    rows = await conn.fetch("""
        SELECT p.profile_id, c.lead_card_id FROM social.raw_social_profiles p
          LEFT JOIN execution.lead_cards c USING (profile_id)
         WHERE p.last_seen < $1""", cutoff)
    if not rows:
        return {}
    cards = [r["lead_card_id"] for r in rows if r["lead_card_id"] is not None]
    deleted = await delete_cards(conn, cards) if cards else {}
    profiles = [r["profile_id"] for r in rows]
    deleted["profile_versions"] = count_of(await conn.execute("""
        DELETE FROM social.raw_social_profile_versions v USING social.raw_social_profiles p
         WHERE v.profile_id = p.profile_id AND p.profile_id = ANY($1::uuid[])
           AND p.last_seen < $2""", profiles, cutoff))
    deleted["profiles"] = count_of(await conn.execute("""
        DELETE FROM social.raw_social_profiles WHERE profile_id = ANY($1::uuid[])
           AND last_seen < $2""", profiles, cutoff))
    if deleted["profiles"] != len(profiles):
        raise ProfileSeenDuringRun(f"{len(profiles) - deleted['profiles']} profiles were seen "
                                   f"during the retention run; it is rolled back and retried")
    return deleted


class ProfileSeenDuringRun(RuntimeError):
    """A profile selected as unseen was seen while the run deleted its card: not an error of
    the command, so it is not dead-lettered; the batch is redelivered and runs again."""


async def _tier2(conn: asyncpg.Connection, cutoff: datetime | None) -> dict[str, int]:
    """Contacts, then businesses, last written before the cutoff. Their cards stay, with the
    link cleared (a new revision, so the next handoff carries no Tier 2 value); a business a
    younger contact still points at stays with it. One statement each: the delete and the
    unlinking see the same rows. Their values then leave every stored batch document that
    went out with them (`document_without_tier2`)."""
    if cutoff is None:
        return {}
    contacts = await conn.fetch("""
        WITH gone AS (DELETE FROM contact.contacts WHERE updated_at < $1
                      RETURNING contact_id, lead_card_id),
             unlinked AS (UPDATE execution.lead_cards SET contact_id = NULL, updated_at = now()
                           WHERE contact_id IN (SELECT contact_id FROM gone)
                       RETURNING lead_card_id)
        SELECT contact_id, lead_card_id, false AS unlinked FROM gone
        UNION ALL SELECT NULL, lead_card_id, true FROM unlinked""", cutoff)
    businesses = await conn.fetch("""
        WITH gone AS (DELETE FROM contact.businesses b WHERE b.updated_at < $1
                         AND NOT EXISTS (SELECT 1 FROM contact.contacts k
                                          WHERE k.business_id = b.business_id)
                      RETURNING business_id),
             unlinked AS (UPDATE execution.lead_cards SET business_id = NULL, updated_at = now()
                           WHERE business_id IN (SELECT business_id FROM gone)
                       RETURNING lead_card_id)
        SELECT business_id, NULL::uuid AS lead_card_id, false AS unlinked FROM gone
        UNION ALL SELECT NULL, lead_card_id, true FROM unlinked""", cutoff)
    gone_contacts = {str(r["contact_id"]) for r in contacts if not r["unlinked"]}
    gone_businesses = {str(r["business_id"]) for r in businesses if not r["unlinked"]}
    cards = list({r["lead_card_id"] for r in [*contacts, *businesses]
                  if r["lead_card_id"] is not None})
    documents = await rewrite_documents(
        conn, cards, lambda text: document_without_tier2(text, gone_contacts, gone_businesses))
    return {"contacts": len(gone_contacts), "businesses": len(gone_businesses),
            "lead_cards_unlinked": sum(r["unlinked"] for r in [*contacts, *businesses]),
            "handoff_documents": documents}


async def _provider_responses(conn: asyncpg.Connection,
                              cutoff: datetime | None) -> dict[str, int]:
    """Provider answers fetched before the cutoff."""
    if cutoff is None:
        return {}
    return {"provider_responses": count_of(await conn.execute(
        "DELETE FROM contact.provider_responses WHERE fetched_at < $1", cutoff))}


async def retention_answered(conn: asyncpg.Connection, request_id: str) -> bool:
    """True when this RETENTION command has been carried out (a redelivery)."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM compliance.retention_runs WHERE request_id = $1", request_id))


async def record_retention(conn: asyncpg.Connection, request_id: str, requested_by: str,
                           dry_run: bool, cutoffs: dict[str, datetime | None],
                           deleted: dict[str, dict[str, int]]) -> None:
    """The service's answer, read back by `sxp retention run` and the API."""
    stamps: dict[str, Any] = {rule: at.isoformat() if at else None
                              for rule, at in cutoffs.items()}
    await conn.execute("""INSERT INTO compliance.retention_runs (request_id, requested_by,
                          dry_run, cutoffs, deleted) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb)""",
                       request_id, requested_by, dry_run, json.dumps(stamps),
                       json.dumps(deleted))

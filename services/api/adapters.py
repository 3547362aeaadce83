"""The API's reads, as its own role `sxp_api` (it writes only its key table, elsewhere)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sxp_common import audit

CARD_COLUMNS = """c.lead_card_id, c.profile_id, c.platform, c.username, c.readiness, c.revision,
    c.base_confidence, c.audience_pool, c.persona, c.persona_confidence, c.tribe,
    c.tribe_confidence, c.industry, c.industry_confidence, c.execution_label,
    c.execution_label_confidence, c.taxonomy_version, c.enrichment_status, c.labeled_at,
    c.created_at, c.updated_at, c.contact_id, c.business_id"""
CONTACT_COLUMNS = """t.full_name, t.title, t.email, t.email_status, t.phone, t.phone_type,
    t.do_not_call, t.linkedin_url, t.city, t.state, t.country, b.name AS business_name,
    b.domain AS business_domain, b.industry AS business_industry, b.phone AS business_phone"""
CONTACT_JOIN = """LEFT JOIN contact.contacts t ON t.contact_id = c.contact_id
    LEFT JOIN contact.businesses b ON b.business_id = coalesce(c.business_id, t.business_id)"""
# Query parameter -> the lead card column it filters on by equality.
EQUAL_FILTERS = {"platform": "platform", "persona": "persona", "tribe": "tribe",
                 "industry": "industry", "execution_label": "execution_label",
                 "audience_pool": "audience_pool", "readiness": "readiness",
                 "enrichment_status": "enrichment_status"}


@dataclass(frozen=True)
class CardQuery:
    """The filters of GET /v1/lead-cards, the id a page resumes after, the page size."""

    filters: dict[str, Any]
    after_id: str | None
    limit: int
    with_contacts: bool


def card_page_sql(query: CardQuery) -> tuple[str, list[Any]]:
    """Keyset SQL for one page (no OFFSET: WHERE id > last id ORDER BY id), and its args."""
    where, args = [], []
    for name, column in EQUAL_FILTERS.items():
        if query.filters.get(name) is not None:
            args.append(query.filters[name])
            where.append(f"c.{column} = ${len(args)}")
    if query.filters.get("min_confidence") is not None:
        args.append(float(query.filters["min_confidence"]))
        where.append(f"c.execution_label_confidence >= ${len(args)}")
    if query.filters.get("updated_since") is not None:
        args.append(query.filters["updated_since"])
        where.append(f"c.updated_at >= ${len(args)}")
    if query.after_id is not None:
        args.append(uuid.UUID(query.after_id))
        where.append(f"c.lead_card_id > ${len(args)}")
    args.append(query.limit + 1)  # one more than asked says whether a next page exists
    columns = CARD_COLUMNS + (", " + CONTACT_COLUMNS if query.with_contacts else "")
    joins = CONTACT_JOIN if query.with_contacts else ""
    sql = (f"SELECT {columns} FROM execution.lead_cards c {joins} "
           f"{'WHERE ' + ' AND '.join(where) if where else ''} "
           f"ORDER BY c.lead_card_id LIMIT ${len(args)}")
    return sql, args


async def card_page(conn: asyncpg.Connection, query: CardQuery) -> list[dict[str, Any]]:
    """Up to limit + 1 cards after the cursor, in id order."""
    sql, args = card_page_sql(query)
    return [dict(r) for r in await conn.fetch(sql, *args)]


async def card(conn: asyncpg.Connection, card_id: str,
               with_contacts: bool) -> dict[str, Any] | None:
    """One card with its evidence, or None."""
    columns = CARD_COLUMNS + ", c.label_evidence, c.labeled_profile_version, c.profile_version, " \
        "c.content_hash, c.job_id" + (", " + CONTACT_COLUMNS if with_contacts else "")
    joins = CONTACT_JOIN if with_contacts else ""
    row = await conn.fetchrow(f"SELECT {columns} FROM execution.lead_cards c {joins} "
                              "WHERE c.lead_card_id = $1", uuid.UUID(card_id))
    if row is None:
        return None
    found = dict(row)
    evidence = found["label_evidence"]
    found["label_evidence"] = json.loads(evidence) if isinstance(evidence, str) else evidence
    return found


async def profile(conn: asyncpg.Connection, profile_id: Any) -> dict[str, Any] | None:
    """The Tier 1 profile behind a card."""
    row = await conn.fetchrow(
        """SELECT profile_id, platform, username, display_name, bio, followers, following, posts,
                  verified, profile_url, external_url, category, location, collected_at, version,
                  first_seen, last_seen FROM social.raw_social_profiles WHERE profile_id = $1""",
        profile_id)
    return None if row is None else dict(row)


async def card_trail(conn: asyncpg.Connection, card_id: str) -> list[dict[str, Any]]:
    """Every audited step naming the card, oldest first."""
    rows = await conn.fetch(
        """SELECT seq, event_type, occurred_at, actor_kind, actor_name, actor_instance, batch_id,
                  outcome, reason, provider, cost_usd::float8 AS cost_usd, checksum
           FROM audit.audit_log WHERE lead_card_ids ? $1 ORDER BY seq""", card_id)
    trail = []
    for r in rows:
        entry = dict(r)
        entry["actor"] = {"kind": entry.pop("actor_kind"), "name": entry.pop("actor_name"),
                          "instance": entry.pop("actor_instance")}
        trail.append(entry)
    return trail


async def job(conn: asyncpg.Connection, job_id: str) -> dict[str, Any] | None:
    """Ingest's counts for a job, what its publisher said it sent, and its unlabeled profiles."""
    counts = await conn.fetchrow("SELECT * FROM ops.ingest_job_counts WHERE job_id = $1", job_id)
    published = await conn.fetchval(
        """SELECT sum((details->>'published')::bigint) FROM audit.audit_log
           WHERE event_type = $1 AND batch_id = $2""", audit.PROFILES_PUBLISHED, job_id)
    if counts is None and published is None:
        return None
    unlabeled = await conn.fetchval(
        """SELECT count(*) FROM social.raw_social_profiles p
           LEFT JOIN execution.lead_cards c ON c.profile_id = p.profile_id
           WHERE p.profile_id IN (SELECT profile_id FROM social.raw_social_profile_versions
                                  WHERE job_id = $1)
             AND (c.lead_card_id IS NULL OR c.labeled_profile_version IS DISTINCT FROM p.version)
        """, job_id)
    found = dict(counts) if counts else {}
    return {"published": None if published is None else int(published),
            "unlabeled": int(unlabeled), **{k: int(found.get(k) or 0) for k in (
                "received", "stored", "duplicates", "new_versions", "rejected",
                "contact_data_removed")}}


async def pools(conn: asyncpg.Connection, platform: str | None) -> list[tuple[str, int]]:
    """Cards per audience pool (optionally of one platform)."""
    rows = await conn.fetch(
        """SELECT audience_pool, count(*) AS n FROM execution.lead_cards
           WHERE $1::text IS NULL OR platform = $1 GROUP BY audience_pool""", platform)
    return [(r["audience_pool"], int(r["n"])) for r in rows]


async def enrichment_answer(conn: asyncpg.Connection, request_id: str) -> dict[str, Any] | None:
    """The gate's decision on a REQUEST, or its recorded answer to a DRY_RUN (None: not yet)."""
    row = await conn.fetchrow("SELECT * FROM enrichment.requests WHERE request_id = $1",
                              request_id)
    if row is not None:
        batches = await conn.fetch(
            """SELECT batch_id, cardinality(lead_card_ids) AS size,
                      reserved_usd::float8 AS reserved_usd
               FROM enrichment.batches WHERE request_id = $1 ORDER BY batch_id""", request_id)
        refused = row["refused"]
        return {"dry_run": False, "status": row["status"],
                "approved_count": row["approved_count"],
                "refused": json.loads(refused) if isinstance(refused, str) else refused,
                "reserved_usd": float(row["reserved_usd"]),
                "batches": [dict(b) for b in batches]}
    answer = await conn.fetchval(
        "SELECT answer FROM enrichment.command_answers WHERE request_id = $1 AND kind = 'DRY_RUN'",
        request_id)
    return None if answer is None else {"dry_run": True, **json.loads(answer)}


BATCH_COLUMNS = """batch_id, transport, status, card_count, checksum, schema_version, attempts,
    location, created_at, delivered_at"""


async def batch_page(conn: asyncpg.Connection, filters: dict[str, Any], after_id: str | None,
                     limit: int) -> list[dict[str, Any]]:
    """Up to limit + 1 recorded batches after the cursor, in id order."""
    rows = await conn.fetch(
        f"""SELECT {BATCH_COLUMNS} FROM execution.handoff_batches
            WHERE ($1::text IS NULL OR transport = $1) AND ($2::text IS NULL OR status = $2)
              AND ($3::timestamptz IS NULL OR created_at >= $3)
              AND ($4::timestamptz IS NULL OR created_at < $4)
              AND ($5::uuid IS NULL OR batch_id > $5)
            ORDER BY batch_id LIMIT $6""",
        filters.get("transport"), filters.get("status"), filters.get("since"),
        filters.get("until"), after_id and uuid.UUID(after_id), limit + 1)
    return [dict(r) for r in rows]


async def batch(conn: asyncpg.Connection, batch_id: str) -> dict[str, Any] | None:
    """One recorded batch with its document and the cards it carried."""
    row = await conn.fetchrow(
        f"SELECT {BATCH_COLUMNS}, document FROM execution.handoff_batches WHERE batch_id = $1",
        uuid.UUID(batch_id))
    if row is None:
        return None
    ids = await conn.fetch("SELECT DISTINCT lead_card_id FROM execution.handoff_items "
                           "WHERE batch_id = $1 ORDER BY lead_card_id", uuid.UUID(batch_id))
    found = dict(row)
    found["lead_card_ids"] = [str(r["lead_card_id"]) for r in ids]
    return found


async def export_answer(conn: asyncpg.Connection, command_id: str) -> dict[str, Any] | None:
    """The exporter's recorded answer to a command (None until answered)."""
    row = await conn.fetchrow(
        "SELECT status, outcomes, error FROM execution.export_commands WHERE command_id = $1",
        command_id)
    if row is None:
        return None
    outcomes = row["outcomes"]
    return {"status": row["status"], "error": row["error"],
            "outcomes": json.loads(outcomes) if isinstance(outcomes, str) else outcomes}


def as_text(value: datetime | uuid.UUID | None) -> str | None:
    """A uuid as text (None stays None)."""
    return None if value is None else str(value)

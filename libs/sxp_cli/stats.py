"""`sxp stats`: rows per table, messages per topic, lag per consumer group, label coverage."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.enrichment_gate.domain import load_policy
from sxp_cli.stats_checks import tier_checks
from sxp_common.db import asyncpg_dsn
from sxp_common.kafka import stop_quietly, topic_partitions
from sxp_common.kafka_security import client_options
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS, TOPICS, consumer_group

TABLES = (
    "social.raw_social_profiles",
    "social.raw_social_profile_versions",
    "execution.lead_cards",
    "contact.contacts",
    "contact.businesses",
    "contact.provider_responses",
    "enrichment.requests",
    "enrichment.batches",
    "audit.audit_log",
)
CONSUMER_GROUPS = tuple(consumer_group(service) for service in SUBSCRIPTIONS)


async def table_stats(conn: asyncpg.Connection) -> dict[str, Any]:
    """Row counts per table (by table name) plus coverage and readiness of lead cards."""
    tables = {}
    for table in TABLES:
        tables[table.split(".", 1)[1]] = await conn.fetchval(f"SELECT count(*) FROM {table}")
    row = await conn.fetchrow(
        """SELECT count(*) AS cards,
                  count(*) FILTER (WHERE persona IS NOT NULL AND tribe IS NOT NULL) AS covered,
                  count(*) FILTER (WHERE labeled_at IS NOT NULL) AS labeled
           FROM execution.lead_cards"""
    )
    readiness = {
        r["readiness"]: r["n"]
        for r in await conn.fetch(
            "SELECT readiness, count(*) AS n FROM execution.lead_cards GROUP BY readiness"
        )
    }
    ingest = await conn.fetchrow(
        """SELECT coalesce(sum(received), 0)::bigint AS received,
                  coalesce(sum(stored), 0)::bigint AS stored,
                  coalesce(sum(duplicates), 0)::bigint AS duplicates,
                  coalesce(sum(new_versions), 0)::bigint AS new_versions,
                  coalesce(sum(rejected), 0)::bigint AS rejected,
                  coalesce(sum(contact_data_removed), 0)::bigint AS contact_data_removed
           FROM ops.ingest_job_counts"""
    )
    coverage = row["covered"] / row["cards"] if row["cards"] else 0.0
    spend = await conn.fetchrow(
        """SELECT coalesce(sum(settled_usd), 0)::float8 AS settled,
                  coalesce(sum(reserved_usd) FILTER (WHERE settled_at IS NULL), 0)::float8 AS
                  reserved
           FROM enrichment.batches"""
    )
    by_provider = {
        r["provider"]: r["usd"]
        for r in await conn.fetch(
            """SELECT provider, sum(amount_usd)::float8 AS usd FROM enrichment.ledger
               WHERE kind = 'settle' GROUP BY provider ORDER BY provider"""
        )
    }
    audit_events = {
        r["event_type"]: r["n"]
        for r in await conn.fetch(
            "SELECT event_type, count(*) AS n FROM audit.audit_log GROUP BY event_type ORDER BY "
            "event_type"
        )
    }
    enrichment = {
        r["enrichment_status"]: r["n"]
        for r in await conn.fetch(
            "SELECT enrichment_status, count(*) AS n FROM execution.lead_cards GROUP BY 1 ORDER BY "
            "1"
        )
    }
    return {
        "tables": tables,
        "coverage": round(coverage, 4),
        "labeled": row["labeled"],
        "readiness": readiness,
        "ingest": dict(ingest),
        "spend_usd": round(spend["settled"], 4),
        "reserved_usd": round(spend["reserved"], 4),
        "spend_by_provider": by_provider,
        "audit_events": audit_events,
        "enrichment": enrichment,
    }


async def kafka_stats(settings: Settings) -> dict[str, Any]:
    """Messages per topic (end minus start offsets) and lag per consumer group."""
    bootstrap, options = settings.kafka_bootstrap, client_options(settings)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **options)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    await consumer.start()
    await admin.start()
    try:
        layout = await topic_partitions(settings, [spec.name for spec in TOPICS])
        partitions = [TopicPartition(t, p) for t, ids in layout.items() for p in ids]
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        topics: dict[str, int] = {spec.name: 0 for spec in TOPICS}
        for tp in partitions:
            topics[tp.topic] += ends[tp] - starts[tp]
        lag = {}
        for group in CONSUMER_GROUPS:
            committed = await admin.list_consumer_group_offsets(group)
            lag[group] = sum(
                max(0, ends[tp] - meta.offset)
                for tp, meta in committed.items()
                if tp in ends and meta.offset >= 0
            ) + _unconsumed(group, committed, ends, starts)
        return {"topics": topics, "lag": lag}
    finally:
        await stop_quietly(consumer)
        await admin.close()


_GROUP_TOPICS = {consumer_group(service): topics for service, topics in SUBSCRIPTIONS.items()}


def _unconsumed(group: str, committed: dict, ends: dict, starts: dict) -> int:
    """Messages on partitions of the group's topics it has not committed anything for."""
    topics = _GROUP_TOPICS.get(group, ())
    return sum(
        ends[tp] - starts[tp] for tp in ends if tp.topic in topics and tp not in committed
    )


async def collect_stats(settings: Settings) -> dict[str, Any]:
    """Everything `sxp stats --json` prints, as one dict."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url), timeout=10)
    try:
        db = await table_stats(conn)
        checks = await tier_checks(conn, load_policy(settings.enrichment_policy))
    finally:
        await conn.close()
    kafka = await asyncio.wait_for(kafka_stats(settings), timeout=30)
    return {
        "tables": db["tables"],
        "topics": kafka["topics"],
        "lag": kafka["lag"],
        "coverage": db["coverage"],
        "spend_usd": db["spend_usd"],
        "reserved_usd": db["reserved_usd"],
        "spend_by_provider": db["spend_by_provider"],
        "audit_events": db["audit_events"],
        "enrichment": db["enrichment"],
        "checks": checks,
        "readiness": db["readiness"],
        "ingest": db["ingest"],
    }

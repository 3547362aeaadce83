"""`sxp stats`: rows per table, messages per topic, lag per consumer group, label coverage."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from sxp_cli.queries import reading
from sxp_cli.queries.stats import table_stats, tier_checks
from sxp_common.enrichment_policy import load_policy
from sxp_common.kafka import stop_quietly, topic_partitions
from sxp_common.kafka_security import client_options
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS, TOPICS, consumer_group

CONSUMER_GROUPS = tuple(consumer_group(service) for service in SUBSCRIPTIONS)


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
    async with reading(settings) as conn:
        db = await table_stats(conn)
        checks = await tier_checks(conn, load_policy(settings.enrichment_policy))
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

"""Topic names and their configuration; creating them is the project's job (auto-create is off)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sxp_common.settings import Settings

PROFILES_SUBMITTED = "sxp.profiles.submitted.v1"
PROFILES_REJECTED = "sxp.profiles.rejected.v1"
PROFILES_RAW = "sxp.profiles.raw.v1"
LEADCARDS_STRUCTURED = "sxp.leadcards.structured.v1"
LEADCARDS_LABELED = "sxp.leadcards.labeled.v1"
DEADLETTER = "sxp.deadletter.v1"
ENRICHMENT_COMMANDS = "sxp.enrichment.commands.v1"
ENRICHMENT_REQUESTED = "sxp.enrichment.requested.v1"
ENRICHMENT_COMPLETED = "sxp.enrichment.completed.v1"
AUDIT = "sxp.audit.v1"
LEAD_BATCH = "sxp.lead-batch.v1"
EXPORT_COMMANDS = "sxp.export.commands.v1"

PIPELINE_PARTITIONS = 6

# What each service's consumer group reads: the one place services and `sxp stats` agree on.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "ingest": (PROFILES_SUBMITTED,),
    "card_factory": (PROFILES_RAW,),
    "labeler": (LEADCARDS_STRUCTURED,),
    "audit_projector": (AUDIT,),
    "enrichment_gate": (ENRICHMENT_COMMANDS,),
    "adapter": (ENRICHMENT_REQUESTED,),
    "exporter": (LEADCARDS_LABELED, ENRICHMENT_COMPLETED, EXPORT_COMMANDS),
}


def consumer_group(service: str) -> str:
    """The Kafka consumer group of a service: sxp-<name with dashes>."""
    return f"sxp-{service.replace('_', '-')}"


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its name, partition count and topic-level config."""

    name: str
    partitions: int = PIPELINE_PARTITIONS
    config: dict[str, str] = field(default_factory=dict)


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(PROFILES_SUBMITTED),
    TopicSpec(PROFILES_REJECTED),
    TopicSpec(PROFILES_RAW),
    TopicSpec(LEADCARDS_STRUCTURED),
    TopicSpec(LEADCARDS_LABELED),
    TopicSpec(DEADLETTER),
    TopicSpec(ENRICHMENT_COMMANDS),
    TopicSpec(ENRICHMENT_REQUESTED),
    TopicSpec(ENRICHMENT_COMPLETED),
    TopicSpec(LEAD_BATCH),
    TopicSpec(EXPORT_COMMANDS),
    # Compacted and never deleted: an audit event must not age out. One partition gives
    # the audit log a total order, which the projection's hash chain and replay rely on.
    TopicSpec(
        AUDIT,
        partitions=1,
        config={
            "cleanup.policy": "compact",
            "retention.ms": "-1",
            "min.compaction.lag.ms": "60000",
        },
    ),
)


async def ensure_topics(settings: Settings, timeout_s: float = 60.0) -> list[str]:
    """Create every missing project topic; return the names it created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from sxp_common.kafka_security import client_options

    replicas = settings.kafka_replication_factor
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                request_timeout_ms=15000, **client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in TOPICS if spec.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(spec.name, spec.partitions, replicas, topic_configs=dict(spec.config))
                    for spec in missing
                ],
                timeout_ms=int(timeout_s * 1000),
            )
        await _wait_until_listed(admin, {spec.name for spec in TOPICS}, timeout_s)
        return [spec.name for spec in missing]
    finally:
        await admin.close()


async def _wait_until_listed(admin: object, names: set[str], timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        listed = set(await admin.list_topics())  # type: ignore[attr-defined]
        if names <= listed:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics not visible after {timeout_s}s: {sorted(names - listed)}")
        await asyncio.sleep(0.2)


async def topic_config(settings: Settings, topic: str) -> dict[str, str]:
    """The effective configuration of one topic, as the broker reports it."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    from sxp_common.kafka_security import client_options

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                **client_options(settings))
    await admin.start()
    try:
        result = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        return {entry[0]: entry[1] for entry in result[0].resources[0][4]}
    finally:
        await admin.close()

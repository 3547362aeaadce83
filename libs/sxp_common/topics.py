"""Topic names and their configuration; creating them is the project's job (auto-create is off)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
COMPLIANCE_COMMANDS = "sxp.compliance.commands.v1"
ERASURES = "sxp.erasures.v1"
AUDIENCE_COMMANDS = "sxp.audience.commands.v1"

PIPELINE_PARTITIONS = 6
DAY_MS = 86_400_000
# Kafka deletes whole segments, and a segment only once its newest record is past the topic's
# retention: the dead-letter topic rolls a segment a day, so a dead letter (which may hold a
# forgotten person's bytes) is gone at most a day after its age, not a week (the default).
DEADLETTER_SEGMENT_MS = DAY_MS

# What each service's consumer group reads: the one place services and `sxp stats` agree on.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "ingest": (PROFILES_SUBMITTED,),
    "card_factory": (PROFILES_RAW,),
    "labeler": (LEADCARDS_STRUCTURED,),
    "audit_projector": (AUDIT,),
    "enrichment_gate": (ENRICHMENT_COMMANDS,),
    "adapter": (ENRICHMENT_REQUESTED,),
    "exporter": (LEADCARDS_LABELED, ENRICHMENT_COMPLETED, EXPORT_COMMANDS),
    "compliance": (COMPLIANCE_COMMANDS,),
    "audience": (AUDIENCE_COMMANDS, LEADCARDS_LABELED, ENRICHMENT_REQUESTED,
                 ENRICHMENT_COMPLETED),
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
    TopicSpec(DEADLETTER, config={"segment.ms": str(DEADLETTER_SEGMENT_MS)}),
    TopicSpec(ENRICHMENT_COMMANDS),
    TopicSpec(ENRICHMENT_REQUESTED),
    TopicSpec(ENRICHMENT_COMPLETED),
    TopicSpec(LEAD_BATCH),
    TopicSpec(EXPORT_COMMANDS),
    TopicSpec(COMPLIANCE_COMMANDS),
    TopicSpec(AUDIENCE_COMMANDS),
    # Erasure notices carry no personal data; execution platforms read them for as long as
    # the handoff promise holds.
    TopicSpec(ERASURES),
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


# Topics whose retention is the Tier 1 rebuild window; the lead-batch topic's own; the
# dead-letter topic's own (it holds failed records' bytes, and erasure cannot take one record
# out of it: its retention bounds how long a forgotten person may stay there); the audit
# topic keeps its spec (forever); every other topic keeps the pipeline's.
TIER1_TOPICS = frozenset({PROFILES_SUBMITTED, PROFILES_RAW})


def retention_ms(days: float) -> str:
    """Kafka's retention.ms for a number of days; 0 or less is forever (-1)."""
    return "-1" if days <= 0 else str(round(days * DAY_MS))


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """The configuration each project topic should have, retention from the settings."""
    configs: dict[str, dict[str, str]] = {}
    for spec in TOPICS:
        config = dict(spec.config)
        if spec.name != AUDIT:
            days = (settings.retention_tier1_days if spec.name in TIER1_TOPICS
                    else settings.retention_lead_batch_days if spec.name in (LEAD_BATCH, ERASURES)
                    else settings.retention_deadletter_days if spec.name == DEADLETTER
                    else settings.retention_pipeline_days)
            config["retention.ms"] = retention_ms(days)
        configs[spec.name] = config
    return configs


def config_drift(wanted: dict[str, dict[str, str]],
                 actual: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The topics whose broker configuration differs from what they should have."""
    return {name: config for name, config in wanted.items()
            if name in actual and any(actual[name].get(k) != v for k, v in config.items())}


async def ensure_topics(settings: Settings, timeout_s: float = 60.0) -> list[str]:
    """Create every missing project topic and bring the configuration of existing ones to
    what the settings say (retention, say); return the names it created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from sxp_common.kafka_security import client_options

    replicas = settings.kafka_replication_factor
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                request_timeout_ms=15000, **client_options(settings))
    await admin.start()
    try:
        wanted = topic_configs(settings)
        existing = set(await admin.list_topics())
        missing = [spec for spec in TOPICS if spec.name not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(spec.name, spec.partitions, replicas, topic_configs=wanted[spec.name])
                 for spec in missing],
                timeout_ms=int(timeout_s * 1000),
            )
        await _wait_until_listed(admin, {spec.name for spec in TOPICS}, timeout_s)
        present = [spec.name for spec in TOPICS if spec.name in existing]
        drift = config_drift(wanted, await _describe(admin, present))
        if drift:
            await _alter(admin, drift)
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


async def _describe(admin: Any, names: list[str]) -> dict[str, dict[str, str]]:
    """name -> its effective configuration, in one request."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    if not names:
        return {}
    result = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    return {resource[3]: {entry[0]: entry[1] for entry in resource[4]}
            for response in result for resource in response.resources}


async def _alter(admin: Any, configs: dict[str, dict[str, str]]) -> None:
    """Set each topic's whole project configuration (AlterConfigs replaces the topic's dynamic
    configs, so every key of its spec is sent, not only the one that drifted)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    responses = await admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, configs=config)
         for name, config in configs.items()])
    refused = [f"{resource[3]}: {resource[1] or resource[0]}" for response in responses
               for resource in response.resources if resource[0] != 0]
    if refused:
        raise RuntimeError(f"the broker refused the topic configuration: {'; '.join(refused)}")


async def topic_configs_on_broker(settings: Settings) -> dict[str, dict[str, str]]:
    """The effective configuration of every project topic the broker has."""
    from aiokafka.admin import AIOKafkaAdminClient

    from sxp_common.kafka_security import client_options

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                **client_options(settings))
    await admin.start()
    try:
        listed = set(await admin.list_topics())
        return await _describe(admin, [spec.name for spec in TOPICS if spec.name in listed])
    finally:
        await admin.close()


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

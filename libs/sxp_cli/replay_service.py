"""`sxp replay SERVICE`: run a service over its input again, after a fix or a rule change.

With the service's instances stopped and its consumer group empty, the group's committed
offsets move back (to the beginning of its topics, or to the first record at or after a time:
what `kafka-consumer-groups --reset-offsets --to-earliest | --to-datetime` does), the replay is
audited, and the instances that ran start again. The services are idempotent, so a re-run
writes only what changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sxp_cli import processes
from sxp_common import audit
from sxp_common.kafka import make_broker, topic_partitions
from sxp_common.kafka_security import client_options
from sxp_common.settings import Settings
from sxp_common.topics import SUBSCRIPTIONS, consumer_group

EMPTY_GROUP_TIMEOUT_S = 45.0


class ReplayError(ValueError):
    """A replay that cannot start; the message is the whole story for the user."""


@dataclass(frozen=True)
class ReplayPlan:
    """Where each partition of the group's topics starts again, and what it re-reads."""

    service: str
    group: str
    offsets: dict[tuple[str, int], int]
    ends: dict[tuple[str, int], int]

    @property
    def records(self) -> int:
        return sum(max(0, self.ends[tp] - offset) for tp, offset in self.offsets.items())

    def per_topic(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (topic, partition), offset in self.offsets.items():
            counts[topic] = counts.get(topic, 0) + max(0, self.ends[(topic, partition)] - offset)
        return counts


def replay_offsets(beginnings: Mapping[tuple[str, int], int], ends: Mapping[tuple[str, int], int],
                   at_time: Mapping[tuple[str, int], int | None] | None) -> dict[
                       tuple[str, int], int]:
    """The offset each partition restarts at: its beginning, or the first record at or after
    the time (the end when no record is that new)."""
    if at_time is None:
        return dict(beginnings)
    return {tp: ends[tp] if at_time.get(tp) is None else int(at_time[tp] or 0) for tp in ends}


def service_topics(service: str) -> tuple[str, ...]:
    """The topics a service's consumer group reads (service as on the command line)."""
    return SUBSCRIPTIONS[service.replace("-", "_")]


async def group_member_count(admin: Any, group: str) -> int:
    """Members of a consumer group right now (0 for an empty or unknown group)."""
    response = (await admin.describe_consumer_groups([group]))[0]
    for entry in response.groups:
        return len(entry[5])  # (error_code, group_id, state, protocol_type, protocol, members)
    return 0


async def wait_until_empty(settings: Settings, group: str, timeout_s: float) -> int:
    """Poll the group until no member is left (instances elsewhere keep it busy); return the
    members still there at the deadline."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                **client_options(settings))
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (members := await group_member_count(admin, group)) and (
                asyncio.get_running_loop().time() < deadline):
            await asyncio.sleep(0.5)
        return members
    finally:
        await admin.close()


async def plan_and_commit(settings: Settings, service: str, since: datetime | None,
                          commit: bool) -> ReplayPlan:
    """Read the group's partitions and their bounds; commit the replay offsets if asked."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.structs import OffsetAndMetadata

    group = consumer_group(service.replace("-", "_"))
    layout = await topic_partitions(settings, service_topics(service))
    parts = [TopicPartition(topic, p) for topic, ids in layout.items() for p in ids]
    if not parts:
        raise ReplayError(f"the topics of {service} do not exist; run `sxp stack up`")
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group,
                                enable_auto_commit=False, **client_options(settings))
    await consumer.start()
    try:
        consumer.assign(parts)
        begin = {(tp.topic, tp.partition): o for tp, o in
                 (await consumer.beginning_offsets(parts)).items()}
        end = {(tp.topic, tp.partition): o for tp, o in (await consumer.end_offsets(parts)).items()}
        at_time = None
        if since is not None:
            found = await consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in parts})
            at_time = {(tp.topic, tp.partition): (None if hit is None else hit.offset)
                       for tp, hit in found.items()}
        plan = ReplayPlan(service, group, replay_offsets(begin, end, at_time), end)
        if commit:
            await consumer.commit({TopicPartition(t, p): OffsetAndMetadata(o, "sxp replay")
                                   for (t, p), o in plan.offsets.items()})
        return plan
    finally:
        await consumer.stop()


async def audit_replay(settings: Settings, plan: ReplayPlan, since: datetime | None) -> None:
    """One `service_replayed` event: who moved which group back, from when, how much."""
    event = audit.audit_event(
        audit.SERVICE_REPLAYED, audit.Actor.cli(), outcome="replayed",
        discriminator=f"{plan.group}|{datetime.now().isoformat()}",
        details={"service": plan.service, "group": plan.group,
                 "from": since.isoformat() if since else "beginning",
                 "records": plan.records, **{f"topic:{t}": n for t, n in plan.per_topic().items()}})
    broker = make_broker(settings, "cli")
    await broker.connect()
    try:
        await audit.emit(broker, [event])
    finally:
        await broker.stop()


def replay_service(settings: Settings, service: str, since: datetime | None,
                   timeout_s: float = EMPTY_GROUP_TIMEOUT_S) -> tuple[ReplayPlan, int]:
    """Stop the service here, move its group back, audit it, start what ran; return the plan
    and the instances started again."""
    running = [i for i in processes.instances(settings)
               if i.service == service and i.alive]
    for instance in running:
        processes.stop_instance(settings, instance)
    group = consumer_group(service.replace("-", "_"))
    left = asyncio.run(wait_until_empty(settings, group, timeout_s))
    if left:
        raise ReplayError(f"{left} member(s) of consumer group {group} still run elsewhere; "
                          f"stop them, then replay again")
    plan = asyncio.run(plan_and_commit(settings, service, since, commit=True))
    asyncio.run(audit_replay(settings, plan, since))
    for instance in running:
        processes.start_instance(settings, service, instance.index)
    return plan, len(running)

"""The one place for Kafka wiring: brokers, batch subscribers, publishing, dead letters.

Delivery contract shared by every service:
- consumers read in batches and commit offsets only after the handler returned,
  i.e. after the database write (AckPolicy.NACK_ON_ERROR: an exception rewinds
  the partitions to the batch start, so nothing is lost);
- producers are idempotent with acks=all; a batch's records are sent together
  and awaited once, never one round trip per message;
- a record that cannot be decoded or processed goes to the dead-letter topic
  with its reason, and the partition moves on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from sxp_common import avro, tracing
from sxp_common.kafka_security import broker_security, client_options
from sxp_common.settings import Settings
from sxp_common.topics import DEADLETTER


@dataclass(frozen=True)
class InboundRecord:
    """One consumed Kafka record, as the handlers see it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Outgoing:
    """One record to produce: topic, key, Avro-encoded value, headers."""

    topic: str
    key: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


def producer_options() -> dict[str, Any]:
    """Producer settings every process shares: idempotent, acks=all, batched sends."""
    return {"enable_idempotence": True, "acks": "all", "linger_ms": 5}


def broker_options(settings: Settings, service: str) -> dict[str, Any]:
    """What every broker of the project is built with (a KafkaBroker, or the API's FastAPI
    KafkaRouter): bootstrap, client id, security, drain time, producer settings."""
    return {"bootstrap_servers": settings.kafka_bootstrap, "client_id": f"sxp-{service}",
            "security": broker_security(settings), "graceful_timeout": 30.0,
            **producer_options()}


def make_broker(settings: Settings, service: str) -> KafkaBroker:
    """A broker whose producer is idempotent with acks=all."""
    return KafkaBroker(**broker_options(settings, service))


def batch_subscriber_options(settings: Settings, group_id: str) -> dict[str, Any]:
    """Subscriber options: batches, commit after the handler, start at the beginning."""
    return {
        "group_id": group_id,
        "batch": True,
        "max_records": settings.consumer_max_records,
        "batch_timeout_ms": settings.consumer_batch_timeout_ms,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }


def inbound_records(raw_message: Any) -> list[InboundRecord]:
    """The ConsumerRecords behind a FastStream batch message, in partition order."""
    raw = raw_message if isinstance(raw_message, tuple | list) else (raw_message,)
    return [
        InboundRecord(
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            key=r.key,
            value=r.value,
            headers=tuple((k, v) for k, v in (r.headers or ())),
        )
        for r in raw
    ]


def dead_letter(service: str, record: InboundRecord, reason_code: str, detail: str) -> Outgoing:
    """A dead-letter record that keeps the original bytes and says why."""
    value = avro.encode(
        DEADLETTER,
        {
            "service": service,
            "source_topic": record.topic,
            "source_partition": record.partition,
            "source_offset": record.offset,
            "key": record.key,
            "value": record.value,
            "reason_code": reason_code,
            "detail": detail[:500],
            "failed_at": datetime.now(UTC),
        },
    )
    key = f"{record.topic}:{record.partition}:{record.offset}"
    return Outgoing(DEADLETTER, key, value, tracing.trace_headers(record))


@dataclass
class DecodedBatch:
    """A batch split into records that decoded and dead letters for those that did not."""

    records: list[tuple[InboundRecord, dict[str, Any]]]
    dead_letters: list[Outgoing]


def decode_batch(service: str, records: Sequence[InboundRecord]) -> DecodedBatch:
    """Decode each record with its topic's contract; undecodable ones become dead letters."""
    decoded: list[tuple[InboundRecord, dict[str, Any]]] = []
    dead: list[Outgoing] = []
    for record in records:
        try:
            decoded.append((record, avro.decode(record.topic, record.value)))
        except avro.UndecodableMessage as exc:
            dead.append(dead_letter(service, record, exc.reason_code, exc.detail))
    return DecodedBatch(decoded, dead)


def outgoing(topic: str, key: str, record: dict[str, Any],
             headers: dict[str, str] | None = None) -> Outgoing:
    """Encode `record` for `topic` with the topic's contract."""
    return Outgoing(topic, key, avro.encode(topic, record), headers or {})


def continuing(record: InboundRecord, messages: Iterable[Outgoing]) -> list[Outgoing]:
    """`messages` carrying the trace of the consumed `record` they were made from."""
    headers = tracing.trace_headers(record)
    return [replace(m,
                    headers={**headers,
                             **m.headers}) for m in messages] if headers else list(messages)


async def publish_all(broker: KafkaBroker, messages: Iterable[Outgoing]) -> int:
    """Send every message without waiting in between, then wait for all acks once."""
    # Headers travel as given: outgoing(..., tracing.trace_headers(record)) or
    # continuing(record, messages) carry the consumed record's trace (W3C traceparent).
    messages = list(messages)
    futures = [
        await broker.publish(
            m.value,
            topic=m.topic,
            key=m.key.encode(),
            headers=m.headers or None,
            no_confirm=True,
        )
        for m in messages
    ]
    if futures:
        await asyncio.gather(*futures)
        tracing.count_produced(m.topic for m in messages)
    return len(futures)


async def topic_partitions(settings: Settings, topics: Sequence[str]) -> dict[str, list[int]]:
    """Partition ids per topic, from the broker's metadata (missing topics map to [])."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                **client_options(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return {
        d["topic"]: sorted(p["partition"] for p in d["partitions"]) if d["error_code"] == 0 else []
        for d in described
    }


async def read_topic(
    settings: Settings, topic: str, since_ms: int | None = None, idle_timeout_ms: int = 1000
) -> list[InboundRecord]:
    """Every record of `topic` from the start (or from a time, by offsets-for-times) to its
    current end, in partition then offset order; no consumer group, nothing committed."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    layout = await topic_partitions(settings, [topic])
    if not layout.get(topic):
        raise KeyError(f"topic {topic} does not exist on {settings.kafka_bootstrap}")
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_auto_commit=False, **client_options(settings))
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in layout[topic]]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        if since_ms is not None:
            found = await consumer.offsets_for_times({tp: since_ms for tp in partitions})
            starts = {tp: (found[tp].offset if found[tp] else ends[tp]) for tp in partitions}
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        records: list[InboundRecord] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            fetched = await consumer.getmany(timeout_ms=idle_timeout_ms)
            for tp, messages in fetched.items():
                records.extend(
                    InboundRecord(m.topic, m.partition, m.offset, m.key, m.value)
                    for m in messages if m.offset < ends[tp]
                )
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await stop_quietly(consumer)


async def stop_quietly(consumer: Any) -> None:
    """Stop a group-less consumer; aiokafka 0.14 can leak its internal task's CancelledError."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise

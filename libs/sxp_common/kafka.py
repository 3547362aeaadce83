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
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.types import BrokerMiddleware

from sxp_common import avro, tracing
from sxp_common.kafka_security import broker_security, client_options
from sxp_common.settings import Settings
from sxp_common.topics import DEADLETTER


@dataclass(frozen=True)
class InboundRecord:
    """One consumed Kafka record (a handler sees it as its typed event's `record`)."""

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


# Set by `sxp deadletter redrive` on a record it sends back to its source topic: the id of the
# dead letter it came from. A service that dead-letters it again keeps the header.
REDRIVE_HEADER = "sxp-redrive-of"


def producer_options() -> dict[str, Any]:
    """Producer settings every process shares: idempotent, acks=all, batched sends.

    A batch of up to 256 KB per partition (aiokafka's default is 16 KB, about 15 of our
    records): a consumed batch of 500 leaves in a few produce requests, not dozens."""
    return {"enable_idempotence": True, "acks": "all", "linger_ms": 5,
            "max_batch_size": 256 * 1024}


BULK_BATCH_BYTES = 256 * 1024  # per partition: 10,000 profiles go in a few dozen requests


def broker_options(settings: Settings, service: str, bulk: bool = False) -> dict[str, Any]:
    """What every broker of the project is built with (a KafkaBroker, or the API's FastAPI
    KafkaRouter): bootstrap, client id, security, drain time, producer settings; `bulk`
    (sxp publish) lets record batches grow to BULK_BATCH_BYTES instead of the client's 16 KiB."""
    options = producer_options()
    if bulk:
        options["max_batch_size"] = BULK_BATCH_BYTES
    return {"bootstrap_servers": settings.kafka_bootstrap, "client_id": f"sxp-{service}",
            "security": broker_security(settings), "graceful_timeout": 30.0, **options}


def make_broker(settings: Settings, service: str,
                middlewares: Sequence[BrokerMiddleware[Any, Any]] = (),
                bulk: bool = False) -> KafkaBroker:
    """A broker whose producer is idempotent with acks=all (a service's also carries the
    telemetry middleware: tracing.consumer_middleware())."""
    return KafkaBroker(**broker_options(settings, service, bulk), middlewares=middlewares)


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
    headers = dict(tracing.trace_headers(record))
    redriven = dict(record.headers).get(REDRIVE_HEADER)
    if redriven is not None:  # failed again after a redrive: say so, so it is not redriven again
        headers[REDRIVE_HEADER] = redriven.decode(errors="replace")
    return Outgoing(DEADLETTER, key, value, headers)


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


BULK_FROM = 8  # records: from here on a publish goes as record batches (BatchSender)


async def publish_all(broker: KafkaBroker, messages: Iterable[Outgoing]) -> int:
    """Send every message without waiting in between, then wait for all acks once. Many
    messages on a connected broker go as record batches (BatchSender: same partitions, order
    per key and headers, without FastStream's per-message publish); a few, or FastStream's
    in-memory test broker, through the broker's publish."""
    # Headers travel as given: outgoing(..., tracing.trace_headers(record)) or
    # continuing(record, messages) carry the consumed record's trace (W3C traceparent).
    messages = list(messages)
    if len(messages) >= BULK_FROM and _has_aiokafka_producer(broker):
        sender = BatchSender(broker)
        await sender.add(messages)
        return await sender.finish()
    sent = [
        await broker.publish(
            m.value,
            topic=m.topic,
            key=m.key.encode(),
            headers=m.headers or None,
            no_confirm=True,
        )
        for m in messages
    ]
    # FastStream's TestKafkaBroker delivers in memory and hands back nothing to wait for.
    futures = [f for f in sent if f is not None]
    if futures:
        await asyncio.gather(*futures)
    if messages:
        tracing.count_produced(m.topic for m in messages)
    return len(messages)


def _has_aiokafka_producer(broker: KafkaBroker) -> bool:
    """Whether the broker is connected through aiokafka (TestKafkaBroker's producer is not)."""
    try:
        return _aiokafka_producer(broker) is not None
    except AttributeError:
        return False


def _aiokafka_producer(broker: KafkaBroker) -> Any:
    """The connected broker's own aiokafka producer (FastStream keeps it in its config)."""
    return broker.config.producer._producer.producer  # type: ignore[attr-defined]


_M, _MASK = 0x5BD1E995, 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of a key, as the Java client (and aiokafka's partitioner) computes it,
    a 4-byte word at a time instead of a byte at a time."""
    length = len(data)
    h = 0x9747B28C ^ length
    tail = length & ~3
    for (k,) in struct.iter_unpack("<I", data[:tail]):
        k = (k * _M) & _MASK
        k = ((k ^ (k >> 24)) * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    extra = length & 3
    if extra >= 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h = ((h ^ data[tail]) * _M) & _MASK
    h = ((h ^ (h >> 13)) * _M) & _MASK
    return h ^ (h >> 15)


def key_partition(key: bytes, partitions: Sequence[int]) -> int:
    """The partition a keyed record goes to: murmur2 over the sorted partition ids, as the
    default partitioner of every Kafka client picks it (so one key always lands on one)."""
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]


class BatchSender:
    """The bulk path (`sxp publish`): records go into an open record batch per partition and
    a batch is sent when full (aiokafka create_batch/send_batch, no per-message await).

    Records are partitioned by key as `publish_all` would, appended in order and their
    batches sent in order, so one key's records keep their order; the idempotent producer
    still numbers every batch. `add` as often as needed, then `finish` sends what is left
    and waits for every ack, and says how many records were acknowledged.
    """

    def __init__(self, broker: KafkaBroker) -> None:
        self._producer = _aiokafka_producer(broker)
        self._open: dict[tuple[str, int], tuple[Any, int]] = {}  # batch and its records
        self._layouts: dict[str, list[int]] = {}
        self._sent: list[tuple[Any, int]] = []  # (ack future, records) per sent batch
        self._topics: list[str] = []  # of every record added, counted once acknowledged

    async def add(self, messages: Sequence[Outgoing]) -> None:
        """Append `messages` to their partitions' batches, sending every batch that fills."""
        for m in messages:
            if m.topic not in self._layouts:
                self._layouts[m.topic] = sorted(await self._producer.partitions_for(m.topic))
            key = m.key.encode()
            where = (m.topic, key_partition(key, self._layouts[m.topic]))
            batch, count = self._open.get(where) or (self._producer.create_batch(), 0)
            headers = [(k, v.encode()) for k, v in m.headers.items()]
            if "correlation_id" not in m.headers:
                # What FastStream's publish sets: its telemetry middleware links a batch
                # span only to records that carry one.
                headers.append(("correlation_id", os.urandom(16).hex().encode()))
            if batch.append(key=key, value=m.value, timestamp=None, headers=headers) is None:
                await self._send(where, batch, count)  # full: an empty batch takes any record
                batch, count = self._producer.create_batch(), 0
                batch.append(key=key, value=m.value, timestamp=None, headers=headers)
            self._open[where] = (batch, count + 1)
        self._topics.extend(m.topic for m in messages)
        await asyncio.sleep(0)  # a turn of the event loop: sends and acks move on meanwhile

    async def finish(self) -> int:
        """Send the batches still open, wait for every ack; the records acknowledged."""
        for where, (batch, count) in list(self._open.items()):
            await self._send(where, batch, count)
        self._open.clear()
        await asyncio.gather(*(future for future, _ in self._sent))
        tracing.count_produced(self._topics)
        return sum(count for _, count in self._sent)

    async def _send(self, where: tuple[str, int], batch: Any, count: int) -> None:
        batch.close()  # closed, it goes out at once instead of lingering
        future = await self._producer.send_batch(batch, where[0], partition=where[1])
        self._sent.append((future, count))


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
                    InboundRecord(m.topic, m.partition, m.offset, m.key, m.value,
                                  tuple((k, v) for k, v in (m.headers or ())))
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

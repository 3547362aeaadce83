"""The bulk path (`sxp publish`'s BatchSender) against the real broker: every record lands on
the partition a per-message publish picks for its key, in order per key, with its headers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sxp_common.kafka import (
    BULK_BATCH_BYTES,
    BatchSender,
    Outgoing,
    make_broker,
    publish_all,
    read_topic,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
COUNT = 6000


async def fresh_topics(settings: Any, count: int) -> list[str]:
    names = [f"test.bulk.{uuid.uuid4().hex[:8]}" for _ in range(count)]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 6, 1) for name in names])
    finally:
        await admin.close()
    return names


def messages(topic: str) -> list[Outgoing]:
    """6,000 records over 40 keys (each key many times), enough to fill several batches."""
    return [Outgoing(topic, f"tiktok:creator_{n % 40}", f"{n:06d}".encode() + b"x" * 600,
                     {"traceparent": f"00-{n:032x}-{n + 1:016x}-01"}) for n in range(COUNT)]


async def test_batches_keep_partition_order_and_headers_of_per_message_publishing(
    test_stack: Any,
) -> None:
    bulk_topic, single_topic = await fresh_topics(test_stack, 2)
    broker = make_broker(test_stack, "test-bulk", bulk=True)
    await broker.connect()
    try:
        sender = BatchSender(broker)
        sent = messages(bulk_topic)
        for start in range(0, len(sent), 250):
            await sender.add(sent[start:start + 250])
        assert await sender.finish() == len(sent)
        await publish_all(broker, messages(single_topic))
    finally:
        await broker.stop()
    bulk = await read_topic(test_stack, bulk_topic)
    single = await read_topic(test_stack, single_topic)
    assert len(bulk) == len(single) == COUNT
    per_partition = [sum(len(r.value or b"") for r in bulk if r.partition == p) for p in range(6)]
    assert max(per_partition) > 2 * BULK_BATCH_BYTES, "several full batches on one partition"
    where = {r.key: r.partition for r in single}
    assert all(where[r.key] == r.partition for r in bulk), "same partition per key"
    for key in where:
        values = [r.value for r in bulk if r.key == key]
        assert values == sorted(values), "one key's records in the order they were added"
        assert values == [r.value for r in single if r.key == key]
    by_value = {r.value: dict(r.headers) for r in await read_topic_with_headers(test_stack,
                                                                               bulk_topic)}
    first = sent[0]
    assert by_value[first.value]["traceparent"] == first.headers["traceparent"].encode()


async def read_topic_with_headers(settings: Any, topic: str) -> list[Any]:
    """Every record of `topic` with its headers (read_topic leaves them out)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        records: list[Any] = []
        while len(records) < COUNT:
            fetched = await consumer.getmany(timeout_ms=1000)
            records.extend(m for batch in fetched.values() for m in batch)
        return records
    finally:
        await consumer.stop()

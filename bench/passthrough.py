"""The limit the pipeline is measured against: the same client doing nothing but moving records.

- producer alone: one aiokafka producer sends every record without awaiting in between
  (acks=all, idempotent, the producer settings the services use), then awaits all acks once;
- passthrough: that producer feeds topic 0, and 3 hops, each its own Python process, consume
  topic i and produce topic i + 1 in batches of up to 500 (send the batch, await its acks
  once, commit the offsets after the produce), as the pipeline's 3 hops do, minus domain and
  database. Timed from the first send to the last hop forwarding its last record.

Run as a module by the bench; `python bench/passthrough.py hop SRC DST GROUP COUNT` is one hop.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bench_stack  # noqa: F401  (puts the repository on sys.path)

HOPS = 3
BATCH = 500
PARTITIONS = 6


@dataclass(frozen=True)
class Payload:
    """One record as the pipeline's first topic carries it: partition key and Avro bytes."""

    key: bytes
    value: bytes


def submission_payloads(fixture: Path) -> list[Payload]:
    """The fixture's readable rows encoded exactly as `sxp publish` encodes them (no trace)."""
    from sxp_cli.publish import submission_key
    from sxp_cli.reader import read_rows
    from sxp_common import avro
    from sxp_common.topics import PROFILES_SUBMITTED

    job_id, now = str(uuid.uuid4()), datetime.now(UTC)
    payloads = []
    for row in read_rows(fixture, None):
        if row.fields is None:
            continue
        record = dict(row.fields, submission_id=str(uuid.uuid5(uuid.UUID(job_id), str(row.line))),
                      job_id=job_id, source=f"bench:{row.line}", submitted_at=now)
        payloads.append(Payload(submission_key(row.fields).encode(),
                                avro.encode(PROFILES_SUBMITTED, record)))
    return payloads


def producer_options() -> dict[str, object]:
    """The producer settings of the services (sxp_common.kafka.producer_options)."""
    from sxp_common.kafka import producer_options as service_producer_options

    return service_producer_options()


async def send_all(bootstrap: str, topic: str, payloads: list[Payload]) -> float:
    """Send every payload to `topic`, await every ack once; the seconds it took."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **producer_options())
    await producer.start()
    try:
        started = time.monotonic()
        futures = [await producer.send(topic, p.value, key=p.key) for p in payloads]
        await asyncio.gather(*futures)
        return time.monotonic() - started
    finally:
        await producer.stop()


async def create_topics(bootstrap: str, names: list[str]) -> None:
    """Create the bench's own topics (the pipeline's partition count)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()


async def hop(bootstrap: str, source: str, target: str, group: str, expected: int) -> None:
    """Forward `expected` records from `source` to `target`, a batch at a time."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **producer_options())
    await consumer.start()
    await producer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        print("ready", flush=True)
        forwarded = 0
        while forwarded < expected:
            fetched = await consumer.getmany(timeout_ms=100, max_records=BATCH)
            futures = [await producer.send(target, m.value, key=m.key)
                       for messages in fetched.values() for m in messages]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
                forwarded += len(futures)
        print(f"done {time.time():.6f}", flush=True)
    finally:
        await producer.stop()
        await consumer.stop()


def _line(process: subprocess.Popen[str]) -> str:
    """The next line a hop printed."""
    assert process.stdout is not None
    return process.stdout.readline()


@dataclass(frozen=True)
class LimitRun:
    """What the client alone achieved on this stack, in seconds."""

    records: int
    producer_s: float
    passthrough_s: float


def measure_limit(bootstrap: str, payloads: list[Payload]) -> LimitRun:
    """Time the producer alone, then the 3-hop passthrough, on topics of their own."""
    run = uuid.uuid4().hex[:8]
    topics = [f"bench.{run}.hop{i}" for i in range(HOPS + 1)]
    asyncio.run(create_topics(bootstrap, [*topics, f"bench.{run}.producer"]))
    producer_s = asyncio.run(send_all(bootstrap, f"bench.{run}.producer", payloads))
    hops = [
        subprocess.Popen([sys.executable, __file__, "hop", bootstrap, topics[i], topics[i + 1],
                          f"bench-{run}-hop{i}", str(len(payloads))],
                         stdout=subprocess.PIPE, text=True)
        for i in range(HOPS)
    ]
    try:
        for process in hops:
            if process.stdout is None or process.stdout.readline().strip() != "ready":
                raise SystemExit("bench: a passthrough hop did not start")
        started = time.time()
        asyncio.run(send_all(bootstrap, topics[0], payloads))
        ends = [float(_line(process).split()[1]) for process in hops]
    finally:
        for process in hops:
            process.wait(timeout=60)
    return LimitRun(len(payloads), producer_s, max(ends) - started)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "hop":
        _, _, bootstrap_, source_, target_, group_, expected_ = sys.argv
        asyncio.run(hop(bootstrap_, source_, target_, group_, int(expected_)))
    else:
        raise SystemExit("usage: passthrough.py hop BOOTSTRAP SOURCE TARGET GROUP COUNT")

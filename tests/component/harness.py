"""One service's subscriber in memory: FastStream's TestKafkaBroker, the real test Postgres.

`running(create_app, settings)` builds the service exactly as its entrypoint does, opens its
pool as the service's role, and patches its broker with TestKafkaBroker: what a test
publishes goes straight through the kit (decode, dead letters, poison isolation, outbox)
into the handler, and what the service produces is captured per topic instead of leaving
for Kafka. Each run has a consumer group and outbox of its own, so runs never see each
other's positions or staged rows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from faststream import Context, FastStream
from faststream.kafka import KafkaBroker, TestKafkaBroker

from sxp_common import avro, outbox
from sxp_common.db import create_service_pool
from sxp_common.kafka import Outgoing
from sxp_common.service import ServiceContext
from sxp_common.settings import Settings
from sxp_common.topics import DEADLETTER

CreateApp = Callable[[Settings], tuple[FastStream, ServiceContext]]


@dataclass
class Running:
    """A service under the test broker, and what it produced so far, by topic."""

    ctx: ServiceContext
    broker: KafkaBroker
    produced: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))

    async def publish(self, *messages: Outgoing) -> None:
        """Deliver `messages` (one topic) to the service's subscriber as one batch."""
        topics = {m.topic for m in messages}
        assert len(topics) == 1, "one batch is one topic"
        # The test broker gives every record of a batch the same headers and no key, and
        # offset 0 of partition 0 (a dead letter's key is `<topic>:0:0`).
        await self.broker.publish_batch(*[m.value for m in messages], topic=topics.pop(),
                                        headers=messages[0].headers or None)
        # The kit relays what a batch staged in the background: wait until it has left.
        await self.ctx.outbox().settle()

    def decoded(self, topic: str) -> list[dict[str, Any]]:
        """What the service produced on `topic`, decoded with its contract."""
        return [avro.decode(topic, record.value) for record in self.produced[topic]]

    def dead_letters(self) -> list[dict[str, Any]]:
        """The dead letters the service produced."""
        return self.decoded(DEADLETTER)


def _capture(into: list[Any]) -> Callable[..., Any]:
    async def capture(body: Any, message: Any = Context("message")) -> None:
        raw = message.raw_message
        into.extend(raw if isinstance(raw, tuple | list) else (raw,))

    return capture


@asynccontextmanager
async def running(create_app: CreateApp, settings: Settings,
                  produces: tuple[str, ...]) -> AsyncIterator[Running]:
    """The service of `create_app` under TestKafkaBroker, capturing `produces` and dead letters."""
    _, ctx = create_app(settings)
    tag = uuid.uuid4().hex[:8]
    ctx.group = f"{ctx.group}-component-{tag}"
    run = Running(ctx, ctx.broker)
    for topic in (*produces, DEADLETTER):
        ctx.broker.subscriber(topic, batch=True)(_capture(run.produced[topic]))
    ctx.pool = await create_service_pool(settings, ctx.name)
    ctx.relay = outbox.Relay(ctx.pool, ctx.broker, f"{ctx.name}-component-{tag}", ctx.logger)
    try:
        async with TestKafkaBroker(ctx.broker) as broker:
            run.broker = broker
            yield run
    finally:
        await ctx.pool.close()


def encoded_as(topic: str, revision: str, record: dict[str, Any]) -> bytes:
    """`record` as a producer still on an older revision (`r1`, ...) of the topic writes it."""
    import io
    import json

    from fastavro import parse_schema, schemaless_writer

    raw = json.loads((avro.contracts_dir() / "revisions" / topic / f"{revision}.avsc")
                     .read_text())
    buffer = io.BytesIO()
    buffer.write(avro.MAGIC + avro.schema_fingerprint(raw))
    schemaless_writer(buffer, parse_schema(raw), record)
    return buffer.getvalue()


GARBAGE = b"\x00not avro"

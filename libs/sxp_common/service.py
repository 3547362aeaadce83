"""The composition root every service shares: broker, pool, logger, one batch subscriber.

A service supplies its name, the event types it consumes (one per topic, from
`sxp_common.events`) and one async handler `on_<event>(events, deps)`; this module wires
the rest. Each consumed record is decoded at the edge into its topic's typed event; a
record that does not decode is dead-lettered here (staged in the outbox or sent through
it, as the service declares) and the handler only ever sees typed events, each carrying
its Kafka record (`event.record`) for tracing and `continuing(...)`.
The handler raising means "not done": the batch is redelivered, nothing is lost.
What a handler produces it stages in the outbox inside its transaction (`deps.stage`);
the relay publishes it in the background once the handler returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg
from faststream import Context, FastStream
from faststream.kafka import KafkaBroker

from sxp_common import health, outbox, tracing
from sxp_common.db import create_service_pool
from sxp_common.errors import Unprocessable
from sxp_common.events import ConsumedEvent, decode_events
from sxp_common.kafka import (
    InboundRecord,
    Outgoing,
    batch_subscriber_options,
    dead_letter,
    inbound_records,
    make_broker,
    publish_all,
)
from sxp_common.settings import Settings, get_settings
from sxp_common.telemetry import Counters, configure_logging
from sxp_common.topics import consumer_group


@dataclass
class ServiceContext:
    """What a handler needs: settings, the broker to publish on, the pool, a logger, counters."""

    name: str
    group: str
    settings: Settings
    broker: KafkaBroker
    logger: logging.Logger
    counters: Counters = field(default_factory=Counters)
    pool: asyncpg.Pool | None = None
    # Service-specific resources opened in lifespan (e.g. the adapter's HTTP clients).
    extras: dict[str, Any] = field(default_factory=dict)
    relay: outbox.Relay | None = None

    def db(self) -> asyncpg.Pool:
        """The service role's pool (opened in lifespan)."""
        if self.pool is None:
            raise RuntimeError("database pool not open yet")
        return self.pool

    def outbox(self) -> outbox.Relay:
        """The relay of this service's outbox (opened in lifespan)."""
        if self.relay is None:
            raise RuntimeError("outbox relay not open yet")
        return self.relay

    async def stage(self, conn: asyncpg.Connection, messages: list[Outgoing]) -> int:
        """Stage `messages` in the outbox inside the caller's transaction."""
        return await self.outbox().stage(conn, messages)


# `async def on_<event>(events, deps)`: the typed events of one batch (never empty), in
# partition order, and the service's context. Typed `list[Any]` so that a handler may name
# its own event types (list[ProfileSubmitted], or a union for a service reading several topics).
EventHandler = Callable[[list[Any], ServiceContext], Awaitable[None]]
# Called for an event about to be dead-lettered, to undo what it holds (a reservation, say).
DeadLetterHook = Callable[[ServiceContext, Any, str], Awaitable[None]]
# How a service dead-letters what does not decode: "staged" in the outbox in a transaction
# of its own after the handler committed (a handler that fails redelivers them with the
# batch), or "sent" at once through the outbox before the handler runs (services whose
# handler spends a long time, or commits piece by piece).
DeadLetterPath = Literal["staged", "sent"]

# Errors that name a record as unprocessable: retrying it cannot succeed, so it is isolated
# and dead-lettered. Only the explicit domain error and a constraint the record's own data
# breaks count; a bug (KeyError, TypeError, ...) or a lost connection propagates, and the
# batch is redelivered after the restart.
POISON_ERRORS: tuple[type[BaseException], ...] = (
    Unprocessable,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)


def poison_reason(exc: BaseException) -> str:
    """The reason a dead letter carries: the domain's code, or the violated constraint."""
    if isinstance(exc, Unprocessable):
        return exc.reason_code
    return getattr(exc, "constraint_name", None) or type(exc).__name__


async def process_isolating_poison(
    ctx: ServiceContext, handler: EventHandler, events: list[ConsumedEvent],
    on_dead_letter: DeadLetterHook | None = None,
) -> None:
    """Run the handler on the events; if one poisons the batch, bisect down to that event."""
    try:
        await handler(events, ctx)
    except POISON_ERRORS as exc:
        if len(events) == 1:
            reason, record = poison_reason(exc), events[0].record
            ctx.logger.warning(
                "record dead-lettered",
                extra={"topic": record.topic, "partition": record.partition,
                       "offset": record.offset, "reason": reason},
            )
            if on_dead_letter is not None:
                await on_dead_letter(ctx, events[0], reason)
            await publish_all(ctx.broker, [dead_letter(ctx.name, record, "unprocessable",
                                                       str(reason))])
            ctx.counters.add(dead_lettered=1)
            return
        middle = len(events) // 2
        await process_isolating_poison(ctx, handler, events[:middle], on_dead_letter)
        await process_isolating_poison(ctx, handler, events[middle:], on_dead_letter)


async def dispatch(ctx: ServiceContext, handler: EventHandler, records: list[InboundRecord],
                   path: DeadLetterPath = "staged",
                   on_dead_letter: DeadLetterHook | None = None) -> None:
    """Decode a batch into typed events, dead-letter what does not decode, hand the rest to
    the handler (isolating poison); every record is either handled or dead-lettered."""
    decoded = decode_events(ctx.name, records)
    dead = decoded.dead_letters
    if dead:
        ctx.logger.warning("undecodable records dead-lettered", extra={"records": len(dead)})
    if dead and path == "sent":
        await ctx.outbox().send(dead)
    if decoded.events:
        await process_isolating_poison(ctx, handler, decoded.events, on_dead_letter)
    if dead and path == "staged":
        async with ctx.db().acquire() as conn, conn.transaction():
            await ctx.stage(conn, dead)
    ctx.counters.add(consumed=len(records), dead_lettered=len(dead))


async def relay_now(ctx: ServiceContext) -> None:
    """Wake the relay for what the batch staged: it publishes in the background while the next
    batch is handled (the rows are committed, so nothing waits on the broker's acks here); if
    that fails the rows stay and the next kick or sweep retries."""
    ctx.outbox().kick()


def crash_if_armed(ctx: ServiceContext) -> None:
    """The tests' fault hook: die right after a commit, before the outbox is relayed."""
    armed = {s.strip().replace("-", "_") for s in ctx.settings.fault_after_commit.split(",")}
    if ctx.name in armed:
        ctx.logger.warning("fault hook: exiting after commit, before publish")
        logging.shutdown()
        os._exit(70)


def build_service(
    name: str,
    events: tuple[type[ConsumedEvent], ...],
    handler: EventHandler,
    settings: Settings | None = None,
    db_role: str | None = None,
    resources: Callable[[ServiceContext], AbstractAsyncContextManager[None]] | None = None,
    on_dead_letter: DeadLetterHook | None = None,
    dead_letters: DeadLetterPath = "staged",
    own_consumer: tuple[type[ConsumedEvent], ...] = (),
) -> tuple[FastStream, ServiceContext]:
    """A FastStream app consuming the topics of `events` in batches as group `sxp-<name>`,
    handing `handler` each batch as typed events.

    The topics of `own_consumer` (a command topic, say) get a consumer of their own in the
    same group, handed to the same handler: their records never wait behind a backlog of the
    other topics, nor behind a batch of them that fails and is redelivered. The two consumers'
    batches can run at the same time; the handler serializes what must not interleave."""
    apart = tuple(event.TOPIC for event in own_consumer)
    topics = tuple(event.TOPIC for event in events if event.TOPIC not in apart)
    settings = settings or get_settings()
    tracing.configure(name, settings.instance_id)
    broker = make_broker(settings, name, [tracing.consumer_middleware()])
    logger = configure_logging(name, settings.log_level)
    ctx = ServiceContext(name, consumer_group(name), settings, broker, logger,
                         counters=Counters(name))
    consumers = [(topics, health.GroupListener())]
    if apart:
        consumers.append((apart, health.GroupListener()))
    subscribers = [broker.subscriber(*group_topics,
                                     **batch_subscriber_options(settings, ctx.group),
                                     listener=listener)
                   for group_topics, listener in consumers]
    monitor = health.Monitor(name, settings.instance_id, subscribers[0], lambda: ctx.pool,
                             broker=broker, listener=consumers[0][1],
                             others=[(s, c[1]) for s, c in zip(subscribers[1:], consumers[1:],
                                                               strict=True)])

    async def on_batch(body: Any, message: Any = Context("message")) -> None:
        records = inbound_records(message.raw_message)
        staged_before = ctx.outbox().staged
        with tracing.batch_scope(name, records):
            await dispatch(ctx, handler, records, dead_letters, on_dead_letter)
            if ctx.outbox().staged > staged_before:
                crash_if_armed(ctx)
            await relay_now(ctx)  # inside the scope: produced records count for this service
        monitor.last_batch_at = time.time()

    for subscriber in subscribers:
        subscriber(on_batch)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        ctx.pool = await create_service_pool(settings, db_role or name)
        ctx.relay = outbox.Relay(ctx.pool, broker, name, logger)
        logger.info("started", extra={"topics": [*topics, *apart], "group": ctx.group})
        async with observed(monitor, settings.health_port), outbox.running(ctx.relay):
            try:
                if resources is None:
                    yield
                else:
                    async with resources(ctx):
                        yield
            finally:
                await ctx.pool.close()
                logger.info("stopped", extra={"counters": ctx.counters.snapshot()})

    return FastStream(broker, lifespan=lifespan, logger=None), ctx


@asynccontextmanager
async def observed(monitor: health.Monitor, port: int | None) -> AsyncIterator[None]:
    """Serve /livez and /readyz while the service runs when `port` is set; flush telemetry at
    the end."""
    monitor.started_at = time.time()
    try:
        async with health.serving(monitor, port) if port else contextlib.nullcontext():
            yield
    finally:
        tracing.flush()


def run_service(app: FastStream) -> None:
    """Run until SIGTERM or SIGINT, then drain the in-flight batch and exit 0."""
    asyncio.run(app.run(log_level=logging.WARNING))

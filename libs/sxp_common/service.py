"""The composition root every service shares: broker, pool, logger, one batch subscriber.

A service supplies its name, consumer group, input topic and one async batch
handler `(ServiceContext, records) -> None`; this module wires the rest.
The handler raising means "not done": the batch is redelivered, nothing is lost.
What a handler produces it stages in the outbox inside its transaction (`ctx.stage`);
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
from typing import Any

import asyncpg
from faststream import Context, FastStream
from faststream.kafka import KafkaBroker

from sxp_common import health, outbox, tracing
from sxp_common.db import create_service_pool
from sxp_common.errors import Unprocessable
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


BatchHandler = Callable[[ServiceContext, list[InboundRecord]], Awaitable[None]]
# Called for a record about to be dead-lettered, to undo what it holds (a reservation, say).
DeadLetterHook = Callable[[ServiceContext, InboundRecord, str], Awaitable[None]]

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
    ctx: ServiceContext, handler: BatchHandler, records: list[InboundRecord],
    on_dead_letter: DeadLetterHook | None = None,
) -> None:
    """Run the handler on the batch; if a record poisons it, bisect down to that record."""
    try:
        await handler(ctx, records)
    except POISON_ERRORS as exc:
        if len(records) == 1:
            reason = poison_reason(exc)
            ctx.logger.warning(
                "record dead-lettered",
                extra={"topic": records[0].topic, "partition": records[0].partition,
                       "offset": records[0].offset, "reason": reason},
            )
            if on_dead_letter is not None:
                await on_dead_letter(ctx, records[0], reason)
            await publish_all(
                ctx.broker, [dead_letter(ctx.name, records[0], "unprocessable", str(reason))]
            )
            ctx.counters.add(dead_lettered=1)
            return
        middle = len(records) // 2
        await process_isolating_poison(ctx, handler, records[:middle], on_dead_letter)
        await process_isolating_poison(ctx, handler, records[middle:], on_dead_letter)


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
    topic: str | tuple[str, ...],
    handler: BatchHandler,
    settings: Settings | None = None,
    db_role: str | None = None,
    resources: Callable[[ServiceContext], AbstractAsyncContextManager[None]] | None = None,
    on_dead_letter: DeadLetterHook | None = None,
) -> tuple[FastStream, ServiceContext]:
    """A FastStream app consuming `topic` (or several) in batches as group `sxp-<name>`."""
    topics = (topic,) if isinstance(topic, str) else topic
    settings = settings or get_settings()
    broker = make_broker(settings, name)
    logger = configure_logging(name, settings.log_level)
    tracing.configure(name, settings.instance_id)
    ctx = ServiceContext(name, consumer_group(name), settings, broker, logger,
                         counters=Counters(name))
    listener = health.GroupListener()
    subscriber = broker.subscriber(*topics, **batch_subscriber_options(settings, ctx.group),
                                   listener=listener)
    monitor = health.Monitor(name, settings.instance_id, settings.home, subscriber,
                             lambda: ctx.pool, broker=broker, listener=listener)

    @subscriber
    async def on_batch(body: Any, message: Any = Context("message")) -> None:
        records = inbound_records(message.raw_message)
        staged_before = ctx.outbox().staged
        with tracing.batch_scope(name, records):
            await process_isolating_poison(ctx, handler, records, on_dead_letter)
            if ctx.outbox().staged > staged_before:
                crash_if_armed(ctx)
            await relay_now(ctx)  # inside the scope: produced records count for this service
        monitor.last_batch_at = time.time()

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        ctx.pool = await create_service_pool(settings, db_role or name)
        ctx.relay = outbox.Relay(ctx.pool, broker, name, logger)
        logger.info("started", extra={"topics": list(topics), "group": ctx.group})
        async with keep_heartbeat(monitor, settings.health_port), outbox.running(ctx.relay):
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
async def keep_heartbeat(monitor: health.Monitor, port: int | None) -> AsyncIterator[None]:
    """Write the heartbeat while the service runs; serve /livez and /readyz when `port` is set."""
    task = asyncio.create_task(monitor.run())
    server = await health.serve_http(monitor, port) if port else None
    try:
        yield
    finally:
        if server is not None:
            server.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        tracing.flush()


def run_service(app: FastStream) -> None:
    """Run until SIGTERM or SIGINT, then drain the in-flight batch and exit 0."""
    asyncio.run(app.run(log_level=logging.WARNING))

"""Liveness and readiness of a worker, answered over HTTP through FastStream's ASGI routes.

With SXP_HEALTH_PORT set, a service answers `GET /livez` and `GET /readyz` on that port (200,
or 503, with the verdict as JSON): an `AsgiFastStream` holding the two routes, served by
uvicorn beside the service's own FastStream app. Each request measures the instance then and
there: the subscriber's consumer by its public API (assignment(), last_poll_timestamp() and
the group's rebalance callbacks), the database (`SELECT 1`) and the Kafka cluster
(FastStream's `broker.ping()`); /livez measures the consumer only, so it never waits on I/O.

- App Platform probes workers over HTTP: the specs in deploy/do point liveness_health_check at
  /livez, and App Platform restarts a worker that fails it. Workers take no traffic, so
  /readyz is for operators and compose.
- Docker and compose: `python -m sxp_common.health --check` GETs /readyz (`--live`: /livez)
  on 127.0.0.1:$SXP_HEALTH_PORT and exits 0 on 200, 1 otherwise (HEALTHCHECK of
  Dockerfile.sxp-worker, which sets SXP_HEALTH_PORT, and docker-compose.yml). A stuck event
  loop answers nothing, which fails the check as it should.
- `sxp services up` runs several instances on one host with no port: no server there;
  `sxp services status` reads the pid files.
- `--tcp HOST:PORT` is a plain connect check (the sandbox HTTP servers in compose).

Live: the consumer loop runs (or the service is still starting), and with partitions assigned
the consumer fetched recently. Ready: live, joined to its group (an assignment, possibly empty
when instances outnumber partitions), the database answered and the Kafka cluster answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import uvicorn
from aiokafka import ConsumerRebalanceListener
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.response import JSONResponse

STALE_AFTER_S = 30.0
POLL_STALE_AFTER_S = 120.0
START_GRACE_S = 120.0


@dataclass(frozen=True)
class Heartbeat:
    """What a service instance knows about itself when asked (times are Unix seconds;
    `written_at` is when it was measured)."""

    service: str
    instance: str
    pid: int
    started_at: float
    written_at: float
    consumer_running: bool
    consumer_joined: bool
    partitions: int
    last_poll_at: float | None
    last_batch_at: float | None
    database_reachable: bool
    broker_reachable: bool = True  # FastStream's broker.ping()


@dataclass(frozen=True)
class Verdict:
    """Whether an instance is live and ready, and why not."""

    live: bool
    ready: bool
    reasons: tuple[str, ...]


def assess(beat: Heartbeat | None, now: float) -> Verdict:
    """Judge a heartbeat (pure: no clock, no I/O)."""
    if beat is None:
        return Verdict(False, False, ("no heartbeat",))
    dead, unready = [], []
    if now - beat.written_at > STALE_AFTER_S:
        dead.append(f"heartbeat {now - beat.written_at:.0f}s old")
    starting = now - beat.started_at < START_GRACE_S
    if not beat.consumer_running and not starting:
        dead.append("consumer loop not running")
    if beat.partitions and beat.last_poll_at and now - beat.last_poll_at > POLL_STALE_AFTER_S:
        dead.append(f"no fetch for {now - beat.last_poll_at:.0f}s")
    if not beat.consumer_joined:
        unready.append("consumer has no assignment yet")
    if not beat.database_reachable:
        unready.append("database unreachable")
    if not beat.broker_reachable:
        unready.append("kafka broker unreachable")
    return Verdict(not dead, not dead and not unready, tuple(dead + unready))


class GroupListener(ConsumerRebalanceListener):  # type: ignore[misc] # aiokafka is untyped
    """Whether the consumer's group has given it an assignment (possibly empty, when instances
    outnumber partitions): the client's public rebalance callbacks, no private state."""

    def __init__(self) -> None:
        self.joined = False

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.joined = False  # a rebalance is under way: out of the group until assigned again

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.joined = True


def consumer_state(consumer: Any, listener: GroupListener | None = None
                   ) -> tuple[bool, int, float | None]:
    """(joined its group, partitions assigned, last fetch time) of an aiokafka consumer, by its
    public API: assignment(), last_poll_timestamp() and the group listener's callbacks (without
    a listener, joined means some partition is assigned)."""
    if consumer is None:
        return False, 0, None
    partitions = consumer.assignment()
    joined = listener.joined if listener is not None else bool(partitions)
    polls = [consumer.last_poll_timestamp(tp) for tp in partitions]
    last_ms = max((p for p in polls if p), default=None)
    return joined, len(partitions), last_ms / 1000 if last_ms else None


async def database_reachable(pool: Any, timeout_s: float = 3.0) -> bool:
    """Whether the service's pool answers `SELECT 1` in time."""
    if pool is None:
        return False
    try:
        async with pool.acquire(timeout=timeout_s) as conn:
            return await conn.fetchval("SELECT 1", timeout=timeout_s) == 1
    except Exception:  # noqa: BLE001 - whatever fails, the answer is "not reachable"
        return False


async def broker_reachable(broker: Any, timeout_s: float = 3.0) -> bool:
    """Whether the Kafka cluster answers FastStream's `broker.ping()` in time (no broker: True)."""
    if broker is None:
        return True
    try:
        return bool(await broker.ping(timeout=timeout_s))
    except Exception:  # noqa: BLE001 - a broker not connected yet is "not reachable"
        return False


@dataclass
class Monitor:
    """A service's view of itself: `beat()` measures it now."""

    service: str
    instance: str
    subscriber: Any  # FastStream's subscriber: its `consumer` and `running`
    pool: Callable[[], Any]
    started_at: float = field(default_factory=time.time)
    last_batch_at: float | None = None
    broker: Any = None  # the FastStream broker, asked with broker.ping()
    listener: GroupListener | None = None  # the subscriber's rebalance listener
    # Further (subscriber, listener) pairs of the same instance (a command topic's own
    # consumer): the instance is running and joined only when every one of them is, and its
    # last fetch is the oldest of theirs.
    others: list[tuple[Any, GroupListener | None]] = field(default_factory=list)

    async def beat(self, reachability: bool = True) -> Heartbeat:
        """Measure the consumers now, and (`reachability`) the database and the Kafka
        cluster."""
        lanes = [(self.subscriber, self.listener), *self.others]
        states = [consumer_state(getattr(s, "consumer", None), listener)
                  for s, listener in lanes]
        running = all(getattr(s, "consumer", None) is not None and s.running for s, _ in lanes)
        polls = [last for _, _, last in states if last is not None]
        database, kafka = await asyncio.gather(database_reachable(self.pool()),
                                               broker_reachable(self.broker)
                                               ) if reachability else (True, True)
        return Heartbeat(
            service=self.service, instance=self.instance, pid=os.getpid(),
            started_at=self.started_at, written_at=time.time(),
            consumer_running=running, consumer_joined=all(joined for joined, _, _ in states),
            partitions=sum(n for _, n, _ in states), last_poll_at=min(polls, default=None),
            last_batch_at=self.last_batch_at,
            database_reachable=database, broker_reachable=kafka)


def routes(monitor: Monitor) -> list[tuple[str, Any]]:
    """/livez and /readyz as FastStream ASGI routes: 200 or 503, the verdict as JSON."""

    @get(include_in_schema=False)
    async def livez(scope: Any) -> AsgiResponse:
        verdict = assess(await monitor.beat(reachability=False), time.time())
        return JSONResponse({"live": verdict.live, "reasons": list(verdict.reasons)},
                            200 if verdict.live else 503)

    @get(include_in_schema=False)
    async def readyz(scope: Any) -> AsgiResponse:
        verdict = assess(await monitor.beat(), time.time())
        return JSONResponse(asdict(verdict), 200 if verdict.ready else 503)

    return [("/livez", livez), ("/readyz", readyz)]


class _Server(uvicorn.Server):
    """uvicorn, minus its signal handlers: SIGTERM stays the service's (it drains the batch)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(monitor: Monitor, port: int, host: str = "0.0.0.0") -> AsyncIterator[None]:
    """Serve /livez and /readyz on `port` while the block runs."""
    app = AsgiFastStream(asgi_routes=routes(monitor), logger=None)
    server = _Server(uvicorn.Config(app, host=host, port=port, lifespan="off",
                                    log_config=None, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        await task  # it could not bind: say why
        raise RuntimeError(f"health server on port {port} stopped at start")
    try:
        yield
    finally:
        server.should_exit = True
        await task


def tcp_check(target: str, timeout_s: float = 3.0) -> bool:
    """Whether HOST:PORT accepts a TCP connection."""
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def http_check(port: int, path: str, timeout_s: float = 4.0) -> tuple[int, str]:
    """GET `path` on 127.0.0.1:`port`: the status (0 when nothing answered) and the body."""
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=timeout_s)
    except httpx.HTTPError as exc:
        return 0, json.dumps({"error": type(exc).__name__})
    return answer.status_code, answer.text


def main(argv: list[str] | None = None) -> int:
    """`python -m sxp_common.health --check [--live] | --tcp HOST:PORT`."""
    parser = argparse.ArgumentParser(prog="python -m sxp_common.health",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="ask this instance's /readyz on SXP_HEALTH_PORT")
    parser.add_argument("--live", action="store_true", help="ask /livez instead")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="only check that HOST:PORT accepts")
    args = parser.parse_args(argv)
    if args.tcp:
        return 0 if tcp_check(args.tcp) else 1
    if not args.check:
        parser.error("give --check or --tcp")
    from sxp_common.settings import Settings

    port = Settings().health_port
    if port is None:
        print(json.dumps({"error": "SXP_HEALTH_PORT is not set: the service serves no probe"}))
        return 1
    status, body = http_check(port, "/livez" if args.live else "/readyz")
    print(body)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())

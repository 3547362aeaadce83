"""Readiness and liveness of a worker, from a heartbeat the service keeps.

Every HEARTBEAT_INTERVAL_S a running service (sxp_common.service) looks at its consumer
(group joined, partitions assigned, last fetch) and its database (`SELECT 1`) and writes the
result to $SXP_HOME/run/health/<instance>.json. The probes read it:

- Docker and compose: `python -m sxp_common.health --check` exits 0 when the newest
  heartbeat is live and ready, 1 otherwise (HEALTHCHECK of Dockerfile.sxp-worker, the
  healthchecks of docker-compose.yml); `--live` asks liveness only; `--instance ID` names one
  instance (`sxp services up` runs several under one SXP_HOME).
- App Platform has no command probe for workers: a worker's `liveness_health_check` is HTTP
  (or TCP) on a port. With SXP_HEALTH_PORT set, the service answers `GET /livez` and
  `GET /readyz` there (200, or 503, with the verdict as JSON); the specs in deploy/do point
  liveness_health_check at /livez, and App Platform restarts a worker that fails it.
  Workers take no traffic, so readiness (/readyz) is for operators and compose.
- `--tcp HOST:PORT` is a plain connect check (the sandbox HTTP servers in compose).

Live: the heartbeat is fresh (the event loop is not stuck) and the consumer loop runs (or the
service is still starting), and with partitions assigned the consumer fetched recently.
Ready: live, joined to its group (an assignment, possibly empty when instances outnumber
partitions), the database answered and the Kafka cluster answered FastStream's broker.ping().
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRebalanceListener

HEARTBEAT_INTERVAL_S = 5.0
STALE_AFTER_S = 30.0
POLL_STALE_AFTER_S = 120.0
START_GRACE_S = 120.0


@dataclass(frozen=True)
class Heartbeat:
    """What a service instance last knew about itself (times are Unix seconds)."""

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
    broker_reachable: bool = True  # FastStream's broker.ping(); absent from older heartbeats


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


def heartbeat_dir(home: Path) -> Path:
    """Where the heartbeats of every instance under one SXP_HOME live."""
    return home / "run" / "health"


def write_heartbeat(directory: Path, beat: Heartbeat) -> Path:
    """Write the heartbeat atomically (readers never see half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{beat.instance}.json"
    temporary = target.with_suffix(f".{beat.pid}.tmp")
    temporary.write_text(json.dumps(asdict(beat)))
    temporary.replace(target)
    return target


def read_heartbeat(path: Path) -> Heartbeat | None:
    """The heartbeat in `path`, or None when missing or unreadable."""
    try:
        return Heartbeat(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def newest_heartbeat(directory: Path, instance: str | None = None) -> Heartbeat | None:
    """The named instance's heartbeat, else the most recently written one."""
    if instance:
        return read_heartbeat(directory / f"{instance}.json")
    beats = [b for b in map(read_heartbeat, directory.glob("*.json")) if b is not None]
    return max(beats, key=lambda b: b.written_at, default=None)


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
    """A service's live view of itself; `beat()` measures, the loop writes it down."""

    service: str
    instance: str
    home: Path
    subscriber: Any
    pool: Callable[[], Any]
    started_at: float = 0.0
    last_batch_at: float | None = None
    latest: Heartbeat | None = None
    broker: Any = None  # the FastStream broker, asked with broker.ping()
    listener: GroupListener | None = None  # the subscriber's rebalance listener

    async def beat(self) -> Heartbeat:
        """Measure consumer and database now."""
        consumer = getattr(self.subscriber, "consumer", None)
        joined, partitions, last_poll = consumer_state(consumer, self.listener)
        self.latest = Heartbeat(
            service=self.service, instance=self.instance, pid=os.getpid(),
            started_at=self.started_at, written_at=time.time(),
            consumer_running=bool(consumer is not None and getattr(self.subscriber, "running",
                                                                   False)),
            consumer_joined=joined, partitions=partitions, last_poll_at=last_poll,
            last_batch_at=self.last_batch_at,
            database_reachable=await database_reachable(self.pool()),
            broker_reachable=await broker_reachable(self.broker))
        return self.latest

    def verdict(self) -> Verdict:
        """The verdict on the latest measurement."""
        return assess(self.latest, time.time())

    async def run(self, interval_s: float = HEARTBEAT_INTERVAL_S) -> None:
        """Measure and write the heartbeat until cancelled; remove it on the way out."""
        self.started_at = self.started_at or time.time()
        directory = heartbeat_dir(self.home)
        try:
            while True:
                write_heartbeat(directory, await self.beat())
                await asyncio.sleep(interval_s)
        finally:
            (directory / f"{self.instance}.json").unlink(missing_ok=True)


async def serve_http(monitor: Monitor, port: int, host: str = "0.0.0.0") -> asyncio.Server:
    """Answer GET /livez and /readyz (200 or 503, verdict as JSON) on `port`."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await asyncio.wait_for(reader.readline(), 5)).decode("latin-1").split()
            path = request[1] if len(request) > 1 else "/"
            verdict = monitor.verdict()
            ok = {"/livez": verdict.live, "/readyz": verdict.ready}.get(path)
            status = ("404 Not Found" if ok is None
                      else "200 OK" if ok else "503 Service Unavailable")
            body = json.dumps(asdict(verdict)).encode()
            head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, OSError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, port)


def tcp_check(target: str, timeout_s: float = 3.0) -> bool:
    """Whether HOST:PORT accepts a TCP connection."""
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    """`python -m sxp_common.health --check [--live] [--instance ID] | --tcp HOST:PORT`."""
    parser = argparse.ArgumentParser(prog="python -m sxp_common.health",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="judge the newest heartbeat")
    parser.add_argument("--live", action="store_true", help="liveness only")
    parser.add_argument("--instance", help="the instance id (SXP_INSTANCE_ID) to judge")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="only check that HOST:PORT accepts")
    args = parser.parse_args(argv)
    if args.tcp:
        return 0 if tcp_check(args.tcp) else 1
    if not args.check:
        parser.error("give --check or --tcp")
    from sxp_common.settings import Settings

    beat = newest_heartbeat(heartbeat_dir(Settings().home), args.instance)
    verdict = assess(beat, time.time())
    print(json.dumps({"instance": beat.instance if beat else None, **asdict(verdict)}))
    return 0 if (verdict.live if args.live else verdict.ready) else 1


if __name__ == "__main__":
    sys.exit(main())

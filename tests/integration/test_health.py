"""A running service answers /livez and /readyz through FastStream's ASGI routes, and the
image's `python -m sxp_common.health --check` judges by them: ready goes when the database or
the Kafka cluster goes, while the instance stays live (a restart would not bring them back).

The service (ingest, as `python -m services.ingest` runs it) runs in this process against the
real test stack, with SXP_HEALTH_PORT set to a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def answer(port: int, path: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"http://127.0.0.1:{port}{path}")
    return response.status_code, response.json()


async def until_status(port: int, path: str, status: int, timeout_s: float = 60.0
                       ) -> dict[str, Any]:
    """Poll `path` until it answers `status`; its verdict then."""
    deadline = time.monotonic() + timeout_s
    code, body = await answer(port, path)
    while code != status and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        code, body = await answer(port, path)
    assert code == status, f"{path} answered {code} {body}, not {status}"
    return body


async def check(port: int, *args: str) -> int:
    """The image's HEALTHCHECK command, in a process of its own, against `port`."""
    env = dict(os.environ, SXP_HEALTH_PORT=str(port), PYTHONPATH=f"{ROOT / 'libs'}:{ROOT}")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sxp_common.health", "--check", *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(process.wait(), 60)


@pytest.mark.integration
async def test_readiness_goes_when_the_database_or_the_broker_goes(test_stack: Any) -> None:
    from services.ingest.app import create_app

    port = free_port()
    app, ctx = create_app(test_stack.model_copy(update={"health_port": port}))
    async with app.lifespan_context():
        await app.start()
        try:
            assert (await until_status(port, "/readyz", 200))["reasons"] == []
            assert (await answer(port, "/livez"))[0] == 200
            assert await check(port) == 0

            await ctx.db().close()  # the service's database connections are gone
            body = await until_status(port, "/readyz", 503)
            assert "database unreachable" in body["reasons"]
            assert (await answer(port, "/livez"))[0] == 200, "a restart would not help"
            assert await check(port) == 1
            assert await check(port, "--live") == 0

            await ctx.broker.stop()  # and so is the service's connection to Kafka
            body = await until_status(port, "/readyz", 503)
            assert "kafka broker unreachable" in body["reasons"]
        finally:
            await app.stop()
    with pytest.raises(httpx.ConnectError):
        await answer(port, "/livez")  # the server went with the service


@pytest.mark.integration
def test_the_check_fails_when_no_service_answers_or_no_port_is_set() -> None:
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'libs'}:{ROOT}")
    env.pop("SXP_HEALTH_PORT", None)
    def run(**extra: str) -> int:
        return subprocess.run([sys.executable, "-m", "sxp_common.health", "--check"],
                              env={**env, **extra}, capture_output=True, timeout=60).returncode

    assert run() == 1
    assert run(SXP_HEALTH_PORT=str(free_port())) == 1


@pytest.mark.integration
async def test_a_service_serving_probes_still_stops_cleanly_on_sigterm(test_stack: Any) -> None:
    """The health server leaves SIGTERM to the service: it drains and exits 0."""
    port = free_port()
    env = dict(os.environ, SXP_HEALTH_PORT=str(port), SXP_INSTANCE_ID="ingest-health",
               PYTHONPATH=f"{ROOT / 'libs'}:{ROOT}", OTEL_TRACES_EXPORTER="none",
               OTEL_METRICS_EXPORTER="none")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.ingest", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.returncode is None:
            with contextlib.suppress(httpx.HTTPError):
                if (await answer(port, "/livez"))[0] == 200:
                    break
            await asyncio.sleep(0.2)
        assert (await answer(port, "/livez"))[0] == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

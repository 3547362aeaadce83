"""The local stack: up is idempotent, conflicts fail early, Kafka/Postgres/S3 really work."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from sxp_common.settings import Settings
from sxp_stack.errors import StackError
from sxp_stack.manager import StackStatus, stack_status, stack_up
from sxp_stack.objectstore import AUX_OFFSETS, ObjectStoreComponent
from sxp_stack.paths import StackPaths

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def settings(test_stack: Settings) -> Settings:
    """The conftest's own test stack (never the one `make demo` uses)."""
    return test_stack


@pytest.fixture(scope="module")
def stack(settings: Settings) -> StackStatus:
    """The stack, brought up (a no-op when it already runs)."""
    return stack_up(settings)


def test_status_reports_all_three_running(stack: StackStatus, settings: Settings) -> None:
    assert stack.all_running, str(stack)
    status = stack_status(settings)
    assert status.all_running, str(status)
    payload = status.to_json()
    assert payload["kafka"] == {"bootstrap": settings.kafka_bootstrap, "running": True}
    assert payload["postgres"] == {"url": settings.database_url, "running": True}
    assert payload["s3"]["endpoint"] == settings.s3_endpoint
    assert payload["s3"]["bucket"] == settings.s3_bucket
    assert payload["s3"]["running"] is True


def test_second_up_is_a_no_op(stack: StackStatus, settings: Settings) -> None:
    again = stack_up(settings)
    assert again.all_running
    # Same processes: nothing was restarted.
    assert [c.pid for c in again.components] == [c.pid for c in stack.components]


def test_status_json_prints_exactly_one_object(stack: StackStatus) -> None:
    from sxp_cli.stack_cmd import stack_app

    result = CliRunner().invoke(stack_app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"kafka", "postgres", "s3", "sandbox", "topics"}
    assert set(payload["s3"]) == {"endpoint", "bucket", "access_key", "secret_key", "running",
                                  "exports_lifecycle"}
    assert set(payload["sandbox"]) == {"apollo", "skiptrace", "receiver"}
    assert all(p["running"] for p in payload["sandbox"].values())


def _free_port(span: int = 1) -> int:
    """A port p with p..p+span-1 all free right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + span < 65000 and all(_is_free(base + i) for i in range(span)):
            return base
    raise RuntimeError("no free port range found")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture()
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """A fresh SXP_HOME and free ports for every component (nothing of the real stack)."""
    ports = {
        "kafka": _free_port(2),
        "postgres": _free_port(),
        "s3": _free_port(max(v for v in AUX_OFFSETS.values()) + 1),
    }
    monkeypatch.setenv("SXP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SXP_KAFKA_BOOTSTRAP", f"127.0.0.1:{ports['kafka']}")
    monkeypatch.setenv("SXP_S3_ENDPOINT", f"http://127.0.0.1:{ports['s3']}")
    database_url = f"postgresql://sxp:sxp@127.0.0.1:{ports['postgres']}/sxp"
    monkeypatch.setenv("SXP_DATABASE_URL", database_url)
    monkeypatch.setenv("SXP_STACK_POSTGRES", "local")
    monkeypatch.delenv("SXP_CACHE_DIR", raising=False)
    yield ports


def _assert_nothing_started(home: Path, ports: dict[str, int], held: int) -> None:
    assert not list((home / "run").glob("*.pid")), "a process was started"
    assert not (home / "data" / "kafka" / "logs" / "meta.properties").exists()
    assert not (home / "data" / "postgres" / "PG_VERSION").exists()
    assert not (home / "cache").exists(), "jars were fetched"
    for port in ports.values():
        assert port == held or _is_free(port), f"something listens on {port}"


def _hold(port: int) -> socket.socket:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    return listener


@pytest.mark.parametrize(
    ("component", "setting"),
    [
        ("kafka", "SXP_KAFKA_BOOTSTRAP"),
        ("postgres", "SXP_DATABASE_URL"),
        ("s3", "SXP_S3_ENDPOINT"),
    ],
)
def test_port_held_by_another_process_fails_before_starting_anything(
    isolated_env: dict[str, int], tmp_path: Path, component: str, setting: str
) -> None:
    port = isolated_env[component]
    with _hold(port), pytest.raises(StackError) as caught:
        stack_up(Settings())
    message = str(caught.value)
    assert f"port {port} is already in use by another process" in message
    assert setting in message
    assert "\n" not in message
    _assert_nothing_started(tmp_path / "home", isolated_env, port)


def test_cli_turns_conflict_into_one_red_line(isolated_env: dict[str, int]) -> None:
    from sxp_cli.stack_cmd import stack_app

    with _hold(isolated_env["kafka"]):
        result = CliRunner().invoke(stack_app, ["up"])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert "Traceback" not in result.output


async def test_kafka_rejects_auto_creation(stack: StackStatus, settings: Settings) -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    properties = (settings.home / "data" / "kafka" / "server.properties").read_text()
    assert "auto.create.topics.enable=false" in properties.splitlines()

    topic = f"sxp.test.not-a-topic.{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=3000
    )
    await producer.start()
    try:
        with pytest.raises((KafkaError, asyncio.TimeoutError)):
            await asyncio.wait_for(producer.send_and_wait(topic, b"x"), timeout=20)
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        assert topic not in await admin.list_topics()
    finally:
        await admin.close()


async def test_project_topics_exist(stack: StackStatus, settings: Settings) -> None:
    topics = pytest.importorskip("sxp_common.topics")
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        listed = set(await admin.list_topics())
    finally:
        await admin.close()
    assert {spec.name for spec in topics.TOPICS} <= listed


async def test_postgres_needs_a_password(stack: StackStatus, settings: Settings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()
    wrong = settings.database_url.replace("sxp:sxp@", "sxp:wrong@", 1)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong)


def test_bucket_exists_and_object_round_trips(stack: StackStatus, settings: Settings) -> None:
    paths = StackPaths(settings.home, settings.cache_path())
    store = ObjectStoreComponent(settings, paths, lambda _c, _m: None)
    client = store.client()
    client.head_bucket(Bucket=settings.s3_bucket)
    key = f"tests/{uuid.uuid4().hex}.txt"
    body = "round trip ✓".encode()
    client.put_object(Bucket=settings.s3_bucket, Key=key, Body=body)
    try:
        got = client.get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
        assert got == body
    finally:
        client.delete_object(Bucket=settings.s3_bucket, Key=key)

"""Retention reaches the broker: existing topics are brought to the settings, and Kafka's own
config tool (kafka-configs, i.e. kafka.admin.ConfigCommand) reads back what was set."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess

import pytest

from sxp_common.settings import Settings
from sxp_common.topics import (
    DEADLETTER,
    LEAD_BATCH,
    PROFILES_SUBMITTED,
    ensure_topics,
    topic_configs_on_broker,
)
from sxp_stack.kafka import KAFKA_VERSION
from tests.support.pipeline import sxp

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
DAY = 86_400_000


def kafka_configs_describe(settings, topic: str) -> str:
    """kafka-configs --describe --entity-type topics --entity-name TOPIC, from the stack's jars."""
    libs = settings.cache_path() / f"kafka-{KAFKA_VERSION}" / "libs"
    java = shutil.which("java")
    assert java and libs.is_dir(), libs
    run = subprocess.run([java, "-cp", f"{libs}/*", "kafka.admin.ConfigCommand",
                          "--bootstrap-server", settings.kafka_bootstrap, "--describe",
                          "--entity-type", "topics", "--entity-name", topic],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_changed_retention_is_applied_to_existing_topics_and_kafkas_tool_shows_it(
        test_stack) -> None:
    changed = test_stack.model_copy(update={"retention_tier1_days": 400,
                                            "retention_lead_batch_days": 0,
                                            "retention_deadletter_days": 3})
    try:
        assert asyncio.run(ensure_topics(changed)) == []  # nothing created: all exist
        configs = asyncio.run(topic_configs_on_broker(test_stack))
        assert configs[PROFILES_SUBMITTED]["retention.ms"] == str(400 * DAY)
        assert configs[LEAD_BATCH]["retention.ms"] == "-1"
        assert configs[DEADLETTER]["retention.ms"] == str(3 * DAY)
        assert f"retention.ms={3 * DAY}" in kafka_configs_describe(test_stack, DEADLETTER)
        described = kafka_configs_describe(test_stack, PROFILES_SUBMITTED)
        assert f"retention.ms={400 * DAY}" in described
    finally:
        asyncio.run(ensure_topics(test_stack))
    assert asyncio.run(topic_configs_on_broker(test_stack))[PROFILES_SUBMITTED][
        "retention.ms"] == str(365 * DAY)
    assert f"retention.ms={365 * DAY}" in kafka_configs_describe(test_stack, PROFILES_SUBMITTED)


def test_stack_status_shows_each_topics_retention() -> None:
    status = json.loads(sxp("stack", "status", "--json").stdout)
    assert status["topics"][LEAD_BATCH]["retention_ms"] == str(30 * DAY)
    assert status["topics"][DEADLETTER] == {
        "retention_ms": str(round(Settings().retention_deadletter_days * DAY)),
        "cleanup_policy": "delete"}
    assert status["topics"]["sxp.audit.v1"] == {"retention_ms": "-1", "cleanup_policy": "compact"}

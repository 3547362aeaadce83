"""The audit spine against real Kafka and Postgres: exactly once, append-only, replayable."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from typing import Any

import pytest

from sxp_cli.processes import instances, services_up
from sxp_common import audit
from tests.support.pipeline import poll, query, scalar, send, sxp

pytestmark = pytest.mark.e2e
ACTOR = audit.Actor.service("e2e-test", "test-1")


def emit_events(settings: Any, events: list[dict[str, Any]]) -> None:
    send(settings, audit.audit_messages(events))


def events_for(batch_id: str, count: int) -> list[dict[str, Any]]:
    return [
        audit.audit_event(audit.ENRICHMENT_STARTED, ACTOR, outcome="ok", batch_id=batch_id,
                          lead_card_ids=[str(uuid.uuid5(uuid.NAMESPACE_URL, f"{batch_id}/{n}"))],
                          provider="sandbox", cost_usd=0.01, payload=f"payload {n}")
        for n in range(count)
    ]


def rows_for(settings: Any, batch_id: str) -> int:
    return scalar(settings, "SELECT count(*) FROM audit.audit_log WHERE batch_id = $1", batch_id)


@pytest.fixture(scope="module")
def projector(test_stack: Any) -> Any:
    services_up(test_stack, {})
    return test_stack


def test_the_audit_topic_is_compacted_and_keeps_events_forever(projector) -> None:
    from sxp_common.kafka import topic_partitions
    from sxp_common.topics import AUDIT, topic_config

    config = asyncio.run(topic_config(projector, AUDIT))
    assert config["cleanup.policy"] == "compact"
    assert config["retention.ms"] == "-1"
    assert asyncio.run(topic_partitions(projector, [AUDIT])) == {AUDIT: [0]}


def test_every_event_reaches_audit_log_exactly_once_across_a_sigkill(projector) -> None:
    batch_id = f"kill-{uuid.uuid4()}"
    emit_events(projector, events_for(batch_id, 20_000))
    started = poll(lambda: rows_for(projector, batch_id), lambda n: n > 0, timeout_s=60)
    assert started > 0
    victims = [i for i in instances(projector) if i.service == "audit-projector" and i.alive]
    assert victims
    for victim in victims:
        os.kill(victim.pid, signal.SIGKILL)
    poll(lambda: [i for i in instances(projector) if i.service == "audit-projector" and i.alive],
         lambda alive: not alive, timeout_s=10)
    services_up(projector, {})  # brings the killed instance back
    final = poll(lambda: rows_for(projector, batch_id), lambda n: n >= 20_000, timeout_s=180)
    assert final == 20_000
    distinct = scalar(projector,
                      "SELECT count(DISTINCT event_id) FROM audit.audit_log WHERE batch_id = "
                      "$1", batch_id)
    assert distinct == 20_000


def test_emitting_the_same_event_twice_leaves_one_row(projector) -> None:
    batch_id = f"twice-{uuid.uuid4()}"
    event = events_for(batch_id, 1)
    emit_events(projector, event + event)
    emit_events(projector, event)
    marker = events_for(f"{batch_id}-marker", 1)
    emit_events(projector, marker)
    poll(lambda: rows_for(projector, f"{batch_id}-marker"), lambda n: n == 1, timeout_s=60)
    assert rows_for(projector, batch_id) == 1


def test_the_trail_lists_a_batch_as_json_with_time_actor_and_outcome(projector) -> None:
    batch_id = f"trail-{uuid.uuid4()}"
    emit_events(projector, events_for(batch_id, 3))
    poll(lambda: rows_for(projector, batch_id), lambda n: n == 3, timeout_s=60)
    result = sxp("audit", "trail", "--batch", batch_id, "--json")
    assert result.returncode == 0, result.stderr
    import json

    rows = json.loads(result.stdout)
    assert len(rows) == 3
    assert all(r["occurred_at"] for r in rows)
    assert all(r["actor"] == "service:e2e-test@test-1" and r["outcome"] == "ok" for r in rows)
    assert sxp("audit", "trail").returncode != 0  # no selector: one-line error


def projector_lag(settings: Any) -> int:
    from sxp_cli.stats import kafka_stats

    return asyncio.run(kafka_stats(settings))["lag"]["sxp-audit-projector"]


def test_replay_verify_agrees_with_an_untouched_projection(projector) -> None:
    # Whatever other modules emitted is projected first, so the table can equal the topic.
    assert poll(lambda: projector_lag(projector), lambda n: n == 0, timeout_s=120) == 0
    result = sxp("replay", "audit", "--verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verified" in result.stdout


def test_a_row_altered_behind_the_databases_back_is_found_by_verify(projector) -> None:
    seq = scalar(projector, "SELECT min(seq) FROM audit.audit_log")
    import asyncpg

    async def tamper() -> None:
        conn = await asyncpg.connect(projector.database_url)
        try:
            # superuser bypasses the trigger
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("UPDATE audit.audit_log SET outcome = 'tampered' WHERE seq = "
                               "$1", seq)
        finally:
            await conn.close()

    asyncio.run(tamper())
    result = sxp("replay", "audit", "--verify")
    assert result.returncode == 1
    assert f"seq {seq}" in result.stderr and "altered" in result.stderr


def test_dropping_the_table_and_replaying_restores_the_same_chain_head(projector) -> None:
    # The tampering above changed a column, not the stored hashes: the head is the original one.
    from sxp_cli.processes import services_down

    services_down(projector)
    head_before = scalar(projector,
                         "SELECT row_hash FROM audit.audit_log ORDER BY seq DESC LIMIT 1")
    query(projector, "DROP TABLE audit.audit_log")
    result = sxp("replay", "audit")
    assert result.returncode == 0, result.stderr
    assert "restored" in result.stdout
    head = scalar(projector, "SELECT row_hash FROM audit.audit_log ORDER BY seq DESC LIMIT 1")
    replay_head = scalar(projector,
                         "SELECT row_hash FROM audit.audit_log_replay ORDER BY seq DESC LIMIT 1")
    assert head == replay_head == head_before
    assert sxp("replay", "audit", "--verify").returncode == 0
    services_up(projector, {})
    batch_id = f"after-restore-{uuid.uuid4()}"
    emit_events(projector, events_for(batch_id, 2))
    assert poll(lambda: rows_for(projector, batch_id), lambda n: n == 2, timeout_s=60) == 2

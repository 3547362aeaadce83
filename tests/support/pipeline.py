"""Helpers the e2e tests use to watch the real pipeline: poll with a deadline, read topics."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg

from services.ingest.domain import partition_key
from sxp_cli.fixtures import generate_profiles
from sxp_common import avro
from sxp_common.db import asyncpg_dsn
from sxp_common.enrichment_policy import load_policy
from sxp_common.kafka import read_topic as read_records
from sxp_common.settings import Settings

T = TypeVar("T")


def poll(fetch: Callable[[], T], done: Callable[[T], bool], timeout_s: float = 120.0) -> T:
    """Call fetch until done(result) or the deadline; return the last result either way."""
    deadline = time.monotonic() + timeout_s
    result = fetch()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(0.3)
        result = fetch()
    return result


async def _query(settings: Settings, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


def query(settings: Settings, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one query as the owner and return plain dicts."""
    return asyncio.run(_query(settings, sql, *args))


def scalar(settings: Settings, sql: str, *args: Any) -> Any:
    """The first column of the first row."""
    rows = query(settings, sql, *args)
    return next(iter(rows[0].values())) if rows else None


def read_topic(settings: Settings, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every (key, value) on a topic, from the beginning to the current end."""
    return [(r.key, r.value) for r in asyncio.run(read_records(settings, topic))]


def decoded_topic(settings: Settings, topic: str) -> list[dict[str, Any]]:
    """Every record on a topic that decodes with its contract (modules put unreadable bytes
    on pipeline topics on purpose, for ingest to dead-letter)."""
    decoded = []
    for _, value in read_topic(settings, topic):
        try:
            decoded.append(avro.decode(topic, value))
        except avro.UndecodableMessage:
            continue
    return decoded


def topic_count(settings: Settings, topic: str) -> int:
    """How many records a topic holds."""
    return len(read_topic(settings, topic))


def send(settings: Settings, messages: list[Any]) -> None:
    """Produce raw Outgoing records with a short-lived producer (tests redeliver and inject)."""
    from sxp_common.kafka import make_broker, publish_all

    async def run() -> None:
        broker = make_broker(settings, "e2e-test")
        await broker.connect()
        try:
            for start in range(0, len(messages), 2000):
                await publish_all(broker, messages[start:start + 2000])
        finally:
            await broker.stop()

    asyncio.run(run())


def sxp(*args: str, **env: str) -> Any:
    """Run the `sxp` CLI as a user would, in a subprocess with this environment."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "sxp_cli.main", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


async def _group_lag(settings: Settings, group: str, topics: list[str],
                     ends: dict[Any, int] | None) -> tuple[int, dict[Any, int]]:
    """(records up to `ends` the group has not committed, the ends used); `ends` None: the
    end offsets of every partition of `topics` now."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    from sxp_common.kafka import stop_quietly, topic_partitions
    from sxp_common.kafka_security import client_options

    options = client_options(settings)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_auto_commit=False, **options)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, **options)
    await consumer.start()
    await admin.start()
    try:
        if ends is None:
            layout = await topic_partitions(settings, topics)
            ends = dict(await consumer.end_offsets(
                [TopicPartition(t, p) for t, ids in layout.items() for p in ids]))
        starts = await consumer.beginning_offsets(list(ends))
        committed = await admin.list_consumer_group_offsets(group)
        done = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
        return sum(max(0, end - done.get(tp, starts[tp])) for tp, end in ends.items()), ends
    finally:
        await stop_quietly(consumer)
        await admin.close()


def caught_up(settings: Settings, group: str, topics: list[str],
              timeout_s: float = 120.0) -> int:
    """Wait until consumer group `group` has committed every record of `topics` staged so far
    (the kit commits after the handler's transaction, so what the group did with them is in
    the database); the lag left at the deadline, 0 when caught up. First the outboxes must
    hold none of those records: one still staged is not on the topic yet."""
    deadline = time.monotonic() + timeout_s
    staged = poll(lambda: scalar(settings, "SELECT count(*) FROM ops.outbox "
                                           "WHERE topic = ANY($1::text[])", topics),
                  lambda n: n == 0, timeout_s)
    assert staged == 0, f"{staged} records of {topics} still staged in an outbox"
    _, ends = asyncio.run(_group_lag(settings, group, topics, None))
    timeout_s = max(1.0, deadline - time.monotonic())
    return poll(lambda: asyncio.run(_group_lag(settings, group, topics, ends))[0],
                lambda lag: lag == 0, timeout_s)


def publish_and_label(settings: Settings, path: Any, timeout_s: float = 120.0) -> Any:
    """Publish a file and wait until ingest saw every row and every lead card is labeled."""
    from sxp_cli.publish import publish_file

    report = asyncio.run(publish_file(path, settings))
    received = poll(
        lambda: scalar(settings, "SELECT received FROM ops.ingest_job_counts WHERE job_id = $1",
                       report.job_id) or 0,
        lambda n: n >= report.published, timeout_s)
    assert received >= report.published, "ingest did not see every published row in time"
    # A profile whose card does not exist yet counts as unlabeled too: otherwise the wait
    # ends at once when it starts before the card factory has made the cards.
    unlabeled = poll(
        lambda: scalar(settings, """SELECT count(*) FROM social.raw_social_profiles p
                                    LEFT JOIN execution.lead_cards c ON c.profile_id = p.profile_id
                                    WHERE c.lead_card_id IS NULL
                                       OR c.labeled_profile_version IS DISTINCT FROM p.version"""),
        lambda n: n == 0, timeout_s)
    assert unlabeled == 0, "lead cards left unlabeled"
    return report


def restart_service(settings: Settings, service: str, **env: str) -> None:
    """Stop every instance of `service` and start one again, with `env` on top of ours
    (empty values unset): how a test reconfigures or arms a running service."""
    import os

    from sxp_cli.processes import canonical_service, instances, start_instance, stop_instance

    service = canonical_service(service)
    for instance in instances(settings):
        if instance.service == service:
            stop_instance(settings, instance)
    saved = {name: os.environ.get(name) for name in env}
    try:
        for name, value in env.items():
            if value:
                os.environ[name] = value
            else:
                os.environ.pop(name, None)
        start_instance(settings, service, 1)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def stored_identities(settings: Settings) -> set[str]:
    """`platform:username` of every profile Tier 1 holds (other modules may have left some)."""
    return {f"{r['platform']}:{r['username']}" for r in
            query(settings, "SELECT platform, username FROM social.raw_social_profiles")}


def unseen(rows: list[dict[str, Any]], stored: set[str]) -> list[dict[str, Any]]:
    """The rows whose identity Tier 1 does not hold yet (unkeyable rows stay: they are
    rejected either way)."""
    return [row for row in rows
            if partition_key(row.get("platform"), row.get("username")) not in stored]


def fresh_profiles(settings: Settings, count: int, seed: int) -> list[dict[str, Any]]:
    """Generated profiles of identities the stack has never stored. A module that republished
    another's profile would change that module's cards (a new bio, a new label) under it."""
    return unseen(generate_profiles(count, seed=seed), stored_identities(settings))


def enrich_all_allowed(settings: Settings) -> str:
    """`sxp enrich request` for every allowed label, as a user asks it; wait until each batch
    of the request has settled. Returns the request id."""
    labels = [a for label in sorted(load_policy().allowed_labels) for a in ("--label", label)]
    request = json.loads(sxp("enrich", "request", *labels, "--json").stdout)
    poll(lambda: scalar(settings, """SELECT count(*) FROM enrichment.batches
                                     WHERE request_id = $1 AND status = 'requested'""",
                        request["request_id"]), lambda n: n == 0, 180)
    return str(request["request_id"])

"""`sxp deadletter`: list what failed, send it back once its cause is fixed, and never loop."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from sxp_common.audit import sha256_of
from sxp_common.db import asyncpg_dsn
from sxp_common.kafka import Outgoing
from sxp_common.migrations import upgrade_database
from sxp_common.topics import COMPLIANCE_COMMANDS, ENRICHMENT_REQUESTED
from tests.support.pipeline import (
    fresh_profiles,
    poll,
    publish_and_label,
    query,
    read_topic,
    restart_service,
    scalar,
    send,
    sxp,
)

pytestmark = pytest.mark.e2e


def listed(**filters: str) -> list[dict[str, Any]]:
    args = [a for k, v in filters.items() for a in (f"--{k}", v)]
    result = sxp("deadletter", "list", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def redrive(*args: str) -> dict[str, Any]:
    result = sxp("deadletter", "redrive", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def garbage(test_stack: Any) -> dict[str, Any]:
    """Bytes the compliance service cannot read, dead-lettered by it. (A topic no other module
    reads whole: the pipeline modules decode every record of theirs.)"""
    services_up(test_stack, {})
    marker = f"redrive-{uuid.uuid4()}"
    send(test_stack, [Outgoing(COMPLIANCE_COMMANDS, marker, b"\x00not avro " + marker.encode())])
    found = poll(lambda: [d for d in listed(service="compliance")
                          if d["id"].startswith(COMPLIANCE_COMMANDS) and d["redrive_of"] is None
                          and d["sha256"] == avro_free_sha(marker)], lambda f: len(f) == 1, 60)
    return found[0]


def avro_free_sha(marker: str) -> str:
    return sha256_of(b"\x00not avro " + marker.encode())


def test_a_record_that_fails_again_comes_back_marked_and_is_not_sent_twice(garbage) -> None:
    first = redrive("--service", "compliance", "--reason", garbage["reason_code"])
    assert garbage["id"] in first["ids"] and first["sent"] == len(first["ids"])
    again = poll(lambda: [d for d in listed(service="compliance")
                          if d["redrive_of"] == garbage["id"]], lambda f: len(f) == 1, 60)
    assert again[0]["reason_code"] == garbage["reason_code"]
    assert again[0]["sha256"] == garbage["sha256"] and again[0]["id"] != garbage["id"]
    second = poll(lambda: redrive("--service", "compliance", "--dry-run"),
                  lambda r: garbage["id"] not in r["ids"], 60)
    assert again[0]["id"] not in second["ids"]
    assert second["skipped"]["failed_after_redrive"] >= 1
    assert second["skipped"]["already_redriven"] >= 1


def test_a_redrive_is_audited_with_the_ids_it_sent(test_stack, garbage) -> None:
    redrive("--service", "compliance")
    rows = poll(lambda: query(test_stack, """SELECT details FROM audit.audit_log
                                             WHERE event_type = 'deadletters_redriven'"""),
                lambda found: any(f"id:{garbage['id']}" in json.loads(r["details"])
                                  if isinstance(r["details"], str) else r["details"]
                                  for r in found), 60)
    assert rows


def _elsewhere_url(settings: Any) -> str:
    """The stack's server, another database: where a misconfigured adapter looks."""
    parts = urlsplit(settings.database_url)
    return urlunsplit(parts._replace(path="/sxp_redrive_elsewhere"))


def on_server(settings: Any, statement: str) -> None:
    """One statement as the owner, outside a transaction (CREATE and DROP DATABASE)."""
    async def run() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="module")
def elsewhere(test_stack: Any) -> Iterator[str]:
    """A second database on the stack's server, migrated like the real one and empty: what
    an adapter deployed with a stale SXP_DATABASE_URL (a staging database, say) reads."""
    url = _elsewhere_url(test_stack)
    on_server(test_stack, "DROP DATABASE IF EXISTS sxp_redrive_elsewhere WITH (FORCE)")
    on_server(test_stack, "CREATE DATABASE sxp_redrive_elsewhere")
    upgrade_database(url, test_stack.db_service_password)
    yield url
    restart_service(test_stack, "adapter")
    on_server(test_stack, "DROP DATABASE IF EXISTS sxp_redrive_elsewhere WITH (FORCE)")


def requested_bytes(settings: Any, batch_id: str) -> bytes:
    key = batch_id.encode()
    return next(v for k, v in read_topic(settings, ENRICHMENT_REQUESTED) if k == key and v)


def test_a_dead_letter_whose_cause_is_fixed_is_processed(test_stack, elsewhere, tmp_path) -> None:
    # The cause: an adapter started against the wrong database finds no approved batch there,
    # so it refuses the gate's batch as never approved (dead letter, nothing paid). The fix:
    # the adapter restarted with the right setting. Then the redrive enriches the batch.
    path = tmp_path / "profiles.jsonl"
    write_jsonl(fresh_profiles(test_stack, 40, seed=47), path)
    publish_and_label(test_stack, path)
    restart_service(test_stack, "adapter", SXP_DATABASE_URL=elsewhere)
    since = datetime.now(UTC).isoformat()
    asked = sxp("enrich", "request", "--label", "PARTNER", "--label", "AFFILIATE", "--limit", "3",
                "--json")
    assert asked.returncode == 0, asked.stderr
    [batch] = json.loads(asked.stdout)["batches"]
    sha = sha256_of(requested_bytes(test_stack, batch["batch_id"]))
    [letter] = poll(lambda: [d for d in listed(service="adapter", since=since)
                             if d["sha256"] == sha], lambda f: len(f) == 1, 60)
    assert (letter["reason_code"], letter["detail"]) == ("unprocessable", "not_approved")
    assert letter["source_topic"] == ENRICHMENT_REQUESTED and letter["redrive_of"] is None
    cards = scalar(test_stack, "SELECT lead_card_ids::text[] FROM enrichment.batches "
                               "WHERE batch_id = $1", batch["batch_id"])
    assert batch_state(test_stack, batch["batch_id"]) == ("requested", {"REQUESTED"}, 0)

    restart_service(test_stack, "adapter")  # the cause removed: the right SXP_DATABASE_URL
    sent = redrive("--service", "adapter", "--since", since)
    assert sent["ids"] == [letter["id"]] and sent["sent"] == 1
    status, statuses, answers = poll(lambda: batch_state(test_stack, batch["batch_id"]),
                                     lambda s: s[0] != "requested", 120)
    assert status in ("completed", "partial") and "REQUESTED" not in statuses and answers >= 1
    # ... and downstream: the enriched cards go out on the queue at their new revision.
    assert poll(lambda: scalar(test_stack, """SELECT count(*) FROM execution.lead_cards c
                                   WHERE c.lead_card_id::text = ANY($1::text[])
                                     AND c.enrichment_status = 'ENRICHED' AND EXISTS (
                                         SELECT 1 FROM execution.handoff_items i
                                          WHERE i.lead_card_id = c.lead_card_id
                                            AND i.transport = 'queue'
                                            AND i.revision = c.revision)""", cards),
                lambda n: n >= 1, 120) >= 1
    assert [d for d in listed(service="adapter") if d["redrive_of"] == letter["id"]] == []


def batch_state(settings: Any, batch_id: str) -> tuple[str, set[str], int]:
    """The batch's status, its cards' enrichment statuses, and the provider answers it paid."""
    row = query(settings, """SELECT b.status, array_agg(DISTINCT c.enrichment_status) AS cards,
                                    (SELECT count(*) FROM contact.provider_responses r
                                      WHERE r.batch_id = b.batch_id) AS answers
                               FROM enrichment.batches b
                               JOIN execution.lead_cards c ON c.lead_card_id = ANY(b.lead_card_ids)
                              WHERE b.batch_id = $1 GROUP BY b.batch_id, b.status""", batch_id)[0]
    return row["status"], set(row["cards"]), int(row["answers"])

"""Enrichment recovery on the real stack: refusal, crash after a paid answer, reaping, retry.

Provider calls are counted at the sandbox servers the stack runs (GET /stats), so "nothing
was paid twice" is what the providers saw, not what our own tables say.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sxp_cli.enrich_cmd import build_command, send_and_wait
from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import instances, services_up, start_instance, stop_instance
from sxp_common import avro
from sxp_common.enrichment_routing import parse_us_address
from sxp_common.kafka import outgoing
from sxp_common.topics import DEADLETTER, ENRICHMENT_REQUESTED
from tests.support.pipeline import (
    fresh_profiles,
    poll,
    publish_and_label,
    query,
    read_topic,
    scalar,
    send,
    sxp,
)

pytestmark = pytest.mark.e2e
LABELS = ["PARTNER", "AFFILIATE"]
STREETS = ("Main St", "Oak Ave", "Congress Ave", "Elm Street", "Lamar Blvd")


def calls(settings: Any) -> dict[str, int]:
    """API calls each sandbox provider has answered so far."""
    return {kind: httpx.get(f"{url}/stats", timeout=5).json()["requests"]
            for kind, url in (("apollo", settings.apollo_endpoint()),
                              ("skiptrace", settings.skiptrace_endpoint()))}


def enrich(settings: Any, limit: int | None = None, retry_failed: bool = False) -> dict[str, Any]:
    """Send a request to the gate and return its answer (batches included)."""
    command = build_command(LABELS, None, limit, None, retry_failed)
    answer = asyncio.run(send_and_wait(settings, command, 60.0))
    assert answer is not None, "the gate did not answer"
    return answer


def batch_status(settings: Any, batch_id: str) -> str:
    return scalar(settings, "SELECT status FROM enrichment.batches WHERE batch_id = $1", batch_id)


def settle(settings: Any, batch_id: str, timeout_s: float = 90) -> str:
    status = poll(lambda: batch_status(settings, batch_id), lambda s: s != "requested", timeout_s)
    assert status != "requested", f"batch {batch_id} did not settle"
    return status


def restart(settings: Any, service: str, **env: str) -> None:
    """Stop every instance of a service and start one with these extra settings."""
    for instance in (i for i in instances(settings) if i.service == service):
        stop_instance(settings, instance)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        start_instance(settings, service, 1)
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


@contextmanager
def adapter_stopped(settings: Any) -> Iterator[None]:
    for instance in (i for i in instances(settings) if i.service == "adapter"):
        stop_instance(settings, instance)
    try:
        yield
    finally:
        start_instance(settings, "adapter", 1)


def dead_letters_for(settings: Any, value: bytes) -> list[dict[str, Any]]:
    letters = (avro.decode(DEADLETTER, v) for _, v in read_topic(settings, DEADLETTER))
    return [d for d in letters if d["value"] == value]


def fresh_cards(settings: Any, tmp: Any, count: int, seed: int) -> None:
    """Publish `count` new profiles (a third with a full US street address) and wait for their
    labels."""
    rng = random.Random(seed)
    rows = fresh_profiles(settings, count, seed)  # never another module's people
    for row in rows[::3]:
        street = f"{rng.randint(10, 9999)} {rng.choice(STREETS)}"
        row["location"] = f"{street}, Austin, TX 787{rng.randint(10, 99)}"
    path = tmp / f"profiles-{seed}.jsonl"
    write_jsonl(rows, path)
    publish_and_label(settings, path)


@pytest.fixture(scope="module")
def stack(test_stack: Any) -> Any:
    """Every service running."""
    services_up(test_stack, {})
    return test_stack


def test_an_unapproved_batch_is_dead_lettered_and_costs_nothing(stack) -> None:
    card = scalar(stack,
                  "SELECT lead_card_id::text FROM execution.lead_cards WHERE enrichment_status = "
                  "'NONE' LIMIT 1") \
        or str(uuid.uuid4())
    forged = {"batch_id": str(uuid.uuid4()), "request_id": "forged",
              "created_at": datetime.now(UTC),
              "reserved_usd": 1.0, "providers": ["apollo"],
              "items": [{"lead_card_id": card, "execution_label": "PARTNER", "routes": ["apollo"],
                         "first_name": "Ana", "last_name": "Lopez", "domain": "acme.example.net"}]}
    before, ledger = calls(stack), scalar(stack, "SELECT count(*) FROM enrichment.ledger")
    message = outgoing(ENRICHMENT_REQUESTED, forged["batch_id"], forged)
    send(stack, [message])
    dead = poll(lambda: dead_letters_for(stack, message.value), bool, timeout_s=60)
    assert [(d["reason_code"], d["detail"]) for d in dead] == [("unprocessable", "not_approved")]
    assert calls(stack) == before
    assert scalar(stack, "SELECT count(*) FROM enrichment.ledger") == ledger
    assert scalar(stack,
                  "SELECT enrichment_status FROM execution.lead_cards WHERE lead_card_id = "
                  "$1::uuid", card) in ("NONE", None)


def test_skip_trace_is_sent_only_cards_with_a_full_address(stack, tmp_path) -> None:
    fresh_cards(stack, tmp_path, 600, seed=55)
    answer = enrich(stack)
    for batch in answer["batches"]:
        settle(stack, batch["batch_id"])
    traced = query(stack, """SELECT p.location FROM contact.provider_responses r
                             JOIN execution.lead_cards c USING (lead_card_id)
                             JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
                             WHERE r.provider = 'skiptrace'""")
    assert traced, "no card with a full address reached skip trace"
    assert all(parse_us_address(row["location"]) for row in traced)
    stats = httpx.get(f"{stack.skiptrace_endpoint()}/stats", timeout=5).json()
    assert "400" not in stats["statuses"]


# The fault counts its firings in a sequence (nextval survives the rollback it causes), so the
# test can wait for the crashed batch to be redelivered instead of sleeping.
FAULT = ["CREATE SEQUENCE IF NOT EXISTS public.test_fail_settlement_hits",
         """CREATE OR REPLACE FUNCTION public.test_fail_settlement() RETURNS trigger LANGUAGE
plpgsql SECURITY DEFINER AS $$
BEGIN
    PERFORM nextval('public.test_fail_settlement_hits');
    RAISE EXCEPTION 'injected fault after the providers answered';
END $$""",
         """CREATE TRIGGER test_fail_settlement BEFORE UPDATE ON enrichment.batches FOR EACH ROW
    WHEN (NEW.outcome IS NOT NULL) EXECUTE FUNCTION public.test_fail_settlement()"""]
FAULT_HITS = """SELECT CASE WHEN is_called THEN last_value ELSE 0 END
                FROM public.test_fail_settlement_hits"""


def test_a_batch_that_crashes_after_the_providers_answered_is_not_paid_twice(stack,
                                                                             tmp_path) -> None:
    fresh_cards(stack, tmp_path, 200, seed=56)
    for statement in FAULT:
        query(stack, statement)
    try:
        batch_id = enrich(stack, limit=30)["batches"][0]["batch_id"]
        poll(lambda: scalar(stack,
                            "SELECT count(*) FROM contact.provider_responses WHERE batch_id = "
                            "$1", batch_id),
             lambda n: n > 0, timeout_s=60)
        # the batch crashes after its answers are stored, and is redelivered: three attempts
        hits = poll(lambda: scalar(stack, FAULT_HITS), lambda n: n >= 3, timeout_s=60)
        assert hits >= 3, "the crashed batch was not redelivered"
        assert batch_status(stack, batch_id) == "requested"
        paid = calls(stack)
    finally:
        query(stack, "DROP TRIGGER IF EXISTS test_fail_settlement ON enrichment.batches")
        query(stack, "DROP FUNCTION IF EXISTS public.test_fail_settlement()")
        query(stack, "DROP SEQUENCE IF EXISTS public.test_fail_settlement_hits")
    assert settle(stack, batch_id) in ("completed", "partial", "failed")
    assert calls(stack) == paid
    settled = scalar(stack,
                     "SELECT coalesce(sum(amount_usd), 0)::float8 FROM enrichment.ledger WHERE "
                     "batch_id = $1 AND kind = 'settle'", batch_id)
    spent = scalar(stack,
                   "SELECT coalesce(sum(cost_usd), 0)::float8 FROM contact.provider_responses "
                   "WHERE batch_id = $1", batch_id)
    assert settled == pytest.approx(spent)


def test_a_reaped_batch_releases_its_reservation_and_its_cards_can_be_retried(stack,
                                                                              tmp_path) -> None:
    fresh_cards(stack, tmp_path, 200, seed=57)
    with adapter_stopped(stack):
        restart(stack, "enrichment-gate", SXP_ENRICHMENT_REAP_AFTER_S="2",
                SXP_ENRICHMENT_REAP_INTERVAL_S="1")
        try:
            answer = enrich(stack, limit=8)
            batch = answer["batches"][0]
            assert settle(stack, batch["batch_id"], timeout_s=30) == "failed"
        finally:
            restart(stack, "enrichment-gate")
    ids = scalar(stack, "SELECT lead_card_ids::text[] FROM enrichment.batches WHERE batch_id = $1",
                 batch["batch_id"])
    ledger = {r["kind"]: r["amount"] for r in query(stack,
                                                    """SELECT kind, sum(amount_usd)::float8 AS
                                                    amount
        FROM enrichment.ledger WHERE batch_id = $1 GROUP BY kind""", batch["batch_id"])}
    assert ledger == {"reserve": pytest.approx(batch["reserved_usd"]),
                      "release": pytest.approx(batch["reserved_usd"])}
    statuses = query(stack,
                     "SELECT DISTINCT enrichment_status AS s FROM execution.lead_cards WHERE "
                     "lead_card_id::text = ANY($1::text[])", ids)
    assert [r["s"] for r in statuses] == ["FAILED"]
    poll(lambda: scalar(stack,
                        """SELECT count(*) FROM audit.audit_log WHERE event_type =
                        'enrichment_failed'
                                   AND reason = 'reaped' AND batch_id = $1""", batch["batch_id"]),
                                   lambda n: n == 1, 60)

    before = calls(stack)
    paid_by = {r["idempotency_key"]: r["batch_id"] for r in query(stack,
                                                                  "SELECT idempotency_key, "
                                                                  "batch_id FROM "
                                                                  "contact.provider_responses")}
    result = sxp("enrich", "request", "--label", "PARTNER", "--label", "AFFILIATE",
                 "--retry-failed", "--json")
    assert result.returncode == 0, result.stderr
    retry = json.loads(result.stdout)
    assert retry["approved_count"] >= len(ids) and retry["batches"]
    retried = {b["batch_id"] for b in retry["batches"]}
    assert batch["batch_id"] not in retried
    for batch_id in retried:
        settle(stack, batch_id)
    assert scalar(stack,
                  "SELECT count(*) FROM execution.lead_cards WHERE lead_card_id::text = "
                  "ANY($1::text[]) "
                         "AND enrichment_status = 'REQUESTED'", ids) == 0
    # the reaped cards were never asked before
    assert sum(calls(stack).values()) > sum(before.values())
    after = {r["idempotency_key"]: r["batch_id"] for r in query(stack,
                                                                "SELECT idempotency_key, batch_id "
                                                                "FROM contact.provider_responses")}
    # every answer paid before was reused, none paid again
    assert {k: after[k] for k in paid_by} == paid_by
    # The late message of the reaped batch is refused when the adapter finally reads it.
    key = batch["batch_id"].encode()
    message = next(v for k, v in read_topic(stack, ENRICHMENT_REQUESTED) if k == key)
    assert [d["detail"] for d in poll(lambda: dead_letters_for(stack, message), bool,
                                      60)] == ["not_approved"]


def test_sxp_enrich_reap_closes_a_stuck_batch_for_an_operator(stack, tmp_path) -> None:
    fresh_cards(stack, tmp_path, 100, seed=58)
    with adapter_stopped(stack):
        batch_id = enrich(stack, limit=3)["batches"][0]["batch_id"]
        assert sxp("enrich", "reap", "--help").returncode == 0
        assert sxp("enrich", "reap", "--older-than", "-1").returncode != 0
        result = sxp("enrich", "reap", "--older-than", "0", "--json")
        assert result.returncode == 0, result.stderr
        assert batch_id in [r["batch_id"] for r in json.loads(result.stdout)["reaped"]]
        assert batch_status(stack, batch_id) == "failed"


POISON = ["""CREATE OR REPLACE FUNCTION public.test_poison_settlement() RETURNS trigger LANGUAGE
plpgsql AS $$
BEGIN RAISE EXCEPTION 'injected bad data' USING ERRCODE = '22023'; END $$""",
          """CREATE TRIGGER test_poison_settlement BEFORE UPDATE ON enrichment.batches FOR EACH ROW
    WHEN (NEW.outcome IS NOT NULL) EXECUTE FUNCTION public.test_poison_settlement()"""]


def test_a_dead_lettered_batch_settles_what_it_paid_fails_its_cards_and_is_retried_from_the_cache(
    stack, tmp_path
) -> None:
    fresh_cards(stack, tmp_path, 100, seed=59)
    for statement in POISON:
        query(stack, statement)
    try:
        batch = enrich(stack, limit=10)["batches"][0]
        assert settle(stack, batch["batch_id"]) == "failed"
    finally:
        query(stack, "DROP TRIGGER IF EXISTS test_poison_settlement ON enrichment.batches")
        query(stack, "DROP FUNCTION IF EXISTS public.test_poison_settlement()")
    ids = scalar(stack, "SELECT lead_card_ids::text[] FROM enrichment.batches WHERE batch_id = $1",
                 batch["batch_id"])
    spent = scalar(stack,
                   "SELECT coalesce(sum(cost_usd), 0)::float8 FROM contact.provider_responses "
                   "WHERE batch_id = $1",
                   batch["batch_id"])
    ledger = {r["kind"]: r["amount"] for r in query(stack,
                                                    """SELECT kind, sum(amount_usd)::float8 AS
                                                    amount
        FROM enrichment.ledger WHERE batch_id = $1 GROUP BY kind""", batch["batch_id"])}
    assert ledger.get("settle", 0.0) == pytest.approx(spent)
    assert ledger["release"] == pytest.approx(batch["reserved_usd"] - spent)
    assert {r["s"] for r in query(stack, "SELECT enrichment_status AS s FROM execution.lead_cards "
                                          "WHERE lead_card_id::text = ANY($1::text[])",
                                          ids)} == {"FAILED"}
    poll(lambda: scalar(stack,
                        """SELECT count(*) FROM audit.audit_log WHERE event_type =
                        'enrichment_failed'
                                   AND reason = 'InvalidParameterValueError' AND batch_id = $1""",
                                   batch["batch_id"]),
         lambda n: n == 1, 60)

    retry = enrich(stack, retry_failed=True)
    for retried in retry["batches"]:
        settle(stack, retried["batch_id"])
        settled = scalar(stack,
                         "SELECT coalesce(sum(amount_usd), 0)::float8 FROM enrichment.ledger "
                                "WHERE batch_id = $1 AND kind = 'settle'", retried["batch_id"])
        own = scalar(stack,
                     "SELECT coalesce(sum(cost_usd), 0)::float8 FROM contact.provider_responses "
                            "WHERE batch_id = $1", retried["batch_id"])
        assert settled == pytest.approx(own)  # a reused answer is not settled a second time
    payers = query(stack,
                   "SELECT DISTINCT batch_id FROM contact.provider_responses WHERE "
                   "lead_card_id::text = ANY($1::text[])", ids)
    # the retry asked no provider about these cards
    assert [r["batch_id"] for r in payers] == [batch["batch_id"]]
    # Retried from the cache: each card ends as its paid answers say (ENRICHED on a match), none
    # left in flight.
    assert scalar(stack,
                  "SELECT count(*) FROM execution.lead_cards WHERE lead_card_id::text = "
                  "ANY($1::text[]) "
                         "AND enrichment_status = 'REQUESTED'", ids) == 0

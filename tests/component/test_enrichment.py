"""Gate and adapter in memory: commands of every revision are decided or answered, a batch
the gate never approved is dead-lettered one by one, garbage is sent to the dead letters."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.adapter.app import create_app as adapter
from services.enrichment_gate.app import create_app as gate
from sxp_common.db import asyncpg_dsn
from sxp_common.kafka import Outgoing, outgoing
from sxp_common.topics import AUDIT, ENRICHMENT_COMMANDS, ENRICHMENT_REQUESTED
from tests.component.harness import GARBAGE, encoded_as, running
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.component
NO_SUCH_LABEL = ["NO_CARD_HAS_THIS_LABEL"]


def command(**fields: object) -> dict:
    return {**SAMPLES[ENRICHMENT_COMMANDS], "request_id": uuid.uuid4().hex,
            "labels": NO_SUCH_LABEL, **fields}


async def test_an_r1_command_is_a_request_and_an_r3_dry_run_is_answered(
        component_settings) -> None:
    r1 = {k: v for k, v in command().items() if k not in ("retry_failed", "kind", "older_than_s")}
    dry_run = command(kind="DRY_RUN")
    async with running(gate, component_settings, (ENRICHMENT_REQUESTED, AUDIT)) as service:
        await service.publish(Outgoing(ENRICHMENT_COMMANDS, "k",
                                       encoded_as(ENRICHMENT_COMMANDS, "r1", r1)),
                              outgoing(ENRICHMENT_COMMANDS, "k", dry_run),
                              Outgoing(ENRICHMENT_COMMANDS, "k", GARBAGE))
        async with service.ctx.db().acquire() as conn:
            requests = await conn.fetch("SELECT request_id, approved_count FROM "
                                        "enrichment.requests WHERE request_id = ANY($1)",
                                        [r1["request_id"], dry_run["request_id"]])
            answers = await conn.fetch("SELECT request_id, kind FROM enrichment.command_answers"
                                       " WHERE request_id = ANY($1)",
                                       [r1["request_id"], dry_run["request_id"]])
    assert [tuple(r) for r in requests] == [(r1["request_id"], 0)]
    assert [tuple(r) for r in answers] == [(dry_run["request_id"], "DRY_RUN")]
    assert service.decoded(ENRICHMENT_REQUESTED) == []  # no card carries the label
    assert [(d["service"], d["reason_code"]) for d in service.dead_letters()] == [
        ("enrichment_gate", "not_avro")]


async def test_batches_the_gate_never_approved_are_dead_lettered_each_on_its_own(
        component_settings) -> None:
    batches = [{**SAMPLES[ENRICHMENT_REQUESTED], "batch_id": str(uuid.uuid4())}
               for _ in range(3)]
    async with running(adapter, component_settings, (AUDIT,)) as service:
        await service.publish(*[outgoing(ENRICHMENT_REQUESTED, b["batch_id"], b)
                                for b in batches],
                              Outgoing(ENRICHMENT_REQUESTED, "k", GARBAGE))
    dead = service.dead_letters()
    assert sorted((d["reason_code"], d["detail"]) for d in dead) == sorted(
        [("not_avro", "missing the Avro single-object marker")]
        + [("unprocessable", "not_approved")] * 3)
    assert {d["value"] for d in dead if d["reason_code"] == "unprocessable"} == {
        outgoing(ENRICHMENT_REQUESTED, b["batch_id"], b).value for b in batches}
    assert service.decoded(AUDIT) == []  # a refusal starts nothing and fails nothing


SEED_MEMBERS = """
WITH cards AS (
    SELECT i, $1::text AS tag, md5($1::text || 'p' || i)::uuid AS profile_id,
           md5($1::text || 'l' || i)::uuid AS card_id, i > $3::int AS routable
    FROM generate_series(1, $3::int + $4::int) AS i),
profiles AS (
    INSERT INTO social.raw_social_profiles (profile_id, identity_hash, platform, username,
        display_name, location, external_url, source, job_id, content_hash,
        last_change_submission_id)
    SELECT profile_id, md5(tag || 'h' || i), 'x', tag || '_' || i,
           CASE WHEN routable THEN 'Maria Lopez' ELSE 'gym rat' END, NULL,
           CASE WHEN routable THEN 'https://acme' || i || '.example' END,
           'component', tag, md5(tag || 'c' || i), tag
    FROM cards RETURNING profile_id),
lead_cards AS (
    INSERT INTO execution.lead_cards (lead_card_id, profile_id, profile_version, content_hash,
        job_id, platform, username, readiness, base_confidence, audience_pool, persona,
        execution_label, execution_label_confidence, labeled_at)
    SELECT card_id, c.profile_id, 1, md5(tag || 'c' || i), tag, 'x', tag || '_' || i,
           'LABELED', 0.5, 'x.unassigned.mid', 'founder', 'PARTNER',
           CASE WHEN routable THEN 0.6 ELSE 0.99 END, now()
    FROM cards c JOIN profiles p ON p.profile_id = c.profile_id RETURNING lead_card_id)
INSERT INTO audience.members (audience_id, lead_card_id, criteria_hash, card_revision)
SELECT $2::uuid, lead_card_id, repeat('0', 64), 1 FROM lead_cards
"""


async def test_a_small_request_finds_routable_cards_behind_many_that_no_provider_takes(
        component_settings) -> None:
    # Cards no provider can take stay NONE with their confidence, so they gather at the top of
    # the gate's order; a request for 2 used to look at 8 candidates only and approve none.
    tag, audience_id = uuid.uuid4().hex[:8], str(uuid.uuid4())
    request = command(request_id=str(uuid.uuid4()), kind="REQUEST", labels=[], limit=None,
                      min_confidence=None, retry_failed=False, budget_usd=None,
                      audience_id=audience_id, top=2)
    owner = await asyncpg.connect(asyncpg_dsn(component_settings.database_url))
    try:
        await owner.execute("""INSERT INTO audience.audiences (audience_id, name, criteria,
                                   criteria_hash) VALUES ($1::uuid, $2, '{"platform": "x"}',
                                   repeat('0', 64))""", audience_id, f"comp-gate-{tag}")
        await owner.execute(SEED_MEMBERS, f"gate{tag}", audience_id, 40, 3)
    finally:
        await owner.close()
    async with running(gate, component_settings, (ENRICHMENT_REQUESTED, AUDIT)) as service:
        await service.publish(outgoing(ENRICHMENT_COMMANDS, "k", request))
    [batch] = service.decoded(ENRICHMENT_REQUESTED)
    assert len(batch["items"]) == 2
    assert {i["domain"] for i in batch["items"]} <= {f"acme{i}.example" for i in (41, 42, 43)}

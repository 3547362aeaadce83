"""Gate and adapter in memory: commands of every revision are decided or answered, a batch
the gate never approved is dead-lettered one by one, garbage is sent to the dead letters."""

from __future__ import annotations

import uuid

import pytest

from services.adapter.app import create_app as adapter
from services.enrichment_gate.app import create_app as gate
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

"""Exporter in memory: an export command is answered once, cards it does not know wait."""

from __future__ import annotations

import uuid

import pytest

from services.exporter.app import create_app
from sxp_common.kafka import Outgoing, outgoing
from sxp_common.topics import EXPORT_COMMANDS, LEAD_BATCH, LEADCARDS_LABELED
from tests.component.harness import GARBAGE, running
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.component


async def test_a_resend_of_an_unknown_batch_is_answered_failed_and_garbage_dead_lettered(
        component_settings) -> None:
    command_id, batch_id = str(uuid.uuid4()), str(uuid.uuid4())
    resend = outgoing(EXPORT_COMMANDS, command_id,
                      {**SAMPLES[EXPORT_COMMANDS], "command_id": command_id,
                       "resend_batch_id": batch_id})
    unknown_card = outgoing(LEADCARDS_LABELED, "k", {**SAMPLES[LEADCARDS_LABELED],
                                                      "lead_card_id": str(uuid.uuid4())})
    async with running(create_app, component_settings, (LEAD_BATCH,)) as service:
        await service.publish(resend, resend)  # a redelivered command keeps its first answer
        await service.publish(unknown_card, Outgoing(LEADCARDS_LABELED, "k", GARBAGE))
        async with service.ctx.db().acquire() as conn:
            answers = await conn.fetch(
                "SELECT status, requested_by, error FROM execution.export_commands"
                " WHERE command_id = $1", command_id)
    [answer] = answers
    assert (answer["status"], answer["requested_by"]) == ("failed", "cli:ops@laptop")
    assert batch_id in answer["error"]
    assert service.decoded(LEAD_BATCH) == []
    assert [(d["service"], d["source_topic"], d["reason_code"]) for d in service.dead_letters()
            ] == [("exporter", LEADCARDS_LABELED, "not_avro")]

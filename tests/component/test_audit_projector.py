"""Audit projector in memory: an event is projected once, however often it arrives."""

from __future__ import annotations

import uuid

import pytest

from services.audit_projector.app import create_app
from sxp_common.kafka import Outgoing, outgoing
from sxp_common.topics import AUDIT
from tests.component.harness import GARBAGE, running
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.component


async def test_an_event_is_projected_once_and_garbage_is_dead_lettered(component_settings) -> None:
    event_id = uuid.uuid4().hex
    event = outgoing(AUDIT, event_id, {**SAMPLES[AUDIT], "event_id": event_id})
    async with running(create_app, component_settings, ()) as service:
        await service.publish(event, event, Outgoing(AUDIT, "k", GARBAGE))
        async with service.ctx.db().acquire() as conn:
            rows = await conn.fetch("SELECT event_type, actor_name FROM audit.audit_log"
                                    " WHERE event_id = $1", event_id)
    assert [tuple(r) for r in rows] == [("profiles_published", "ana")]
    assert [(d["service"], d["source_topic"], d["reason_code"]) for d in service.dead_letters()
            ] == [("audit_projector", AUDIT, "not_avro")]

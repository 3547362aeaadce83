"""Audience service in memory: commands are answered, bad ones refused, garbage dead-lettered."""

from __future__ import annotations

import json
import uuid

import pytest

from services.audience.app import create_app
from sxp_common.audience_commands import command_message, command_record, fetch_answer
from sxp_common.kafka import Outgoing
from sxp_common.topics import AUDIENCE_COMMANDS, AUDIT
from tests.component.harness import GARBAGE, running

pytestmark = pytest.mark.component


def command(action: str, name: str, **fields: object) -> tuple[str, Outgoing]:
    record = command_record(action, name, requested_by="cli:test@host", **fields)  # type: ignore[arg-type]
    return record["request_id"], command_message(record)


async def test_commands_are_answered_versioned_and_audited(component_settings) -> None:
    name = f"comp-{uuid.uuid4().hex[:8]}"
    created, create = command("CREATE", name, criteria_json='{"platform": "x"}')
    unchanged, same = command("UPDATE", name, criteria_json='{"platform": ["x"]}')
    updated, change = command("UPDATE", name, criteria_json='{"platform": "tiktok"}',
                              description="tiktok now")
    deleted, delete = command("DELETE", name)
    async with running(create_app, component_settings, (AUDIT,)) as service:
        await service.publish(create, same, change, delete)
        async with service.ctx.db().acquire() as conn:
            answers = {rid: await fetch_answer(conn, rid)
                       for rid in (created, unchanged, updated, deleted)}
            versions = await conn.fetch(
                """SELECT v.version, v.action FROM audience.audience_versions v
                   JOIN audience.audiences a USING (audience_id) WHERE a.name = $1
                   ORDER BY v.version""", name)
    outcomes = [a.outcome if a else None for a in answers.values()]
    assert outcomes == ["created", "unchanged", "updated", "deleted"]
    assert [tuple(v) for v in versions] == [(1, "created"), (2, "updated"), (3, "deleted")]
    audited = [e["event_type"] for e in service.decoded(AUDIT)
               if e["details"].get("name") == name]
    assert audited == ["audience_created", "audience_updated", "audience_deleted"]


async def test_bad_criteria_and_unknown_audiences_are_refused_in_one_line(
        component_settings) -> None:
    bad, create = command("CREATE", f"comp-{uuid.uuid4().hex[:8]}",
                          criteria_json='{"colour": "red"}')
    missing, qualify = command("QUALIFY", f"comp-{uuid.uuid4().hex[:8]}")
    not_json, broken = command("CREATE", f"comp-{uuid.uuid4().hex[:8]}", criteria_json="{")
    async with running(create_app, component_settings, (AUDIT,)) as service:
        await service.publish(create, qualify, broken)
        async with service.ctx.db().acquire() as conn:
            answers = [await fetch_answer(conn, rid) for rid in (bad, missing, not_json)]
    assert all(a is not None and a.refused for a in answers)
    errors = [a.error for a in answers if a is not None]
    assert "unknown field or operator 'colour'" in errors[0]
    assert errors[1].startswith("no audience named")
    assert errors[2].startswith("criteria: not JSON")
    assert all("\n" not in e for e in errors)
    assert service.dead_letters() == []


async def test_of_two_changes_decided_on_one_version_the_second_is_refused_as_stale(
        component_settings) -> None:
    name = f"comp-{uuid.uuid4().hex[:8]}"
    _, create = command("CREATE", name, criteria_json='{"platform": "x"}')
    first, change = command("UPDATE", name, description="first", if_version=1)
    second, racing = command("UPDATE", name, description="second", if_version=1)
    late, delete = command("DELETE", name, if_version=1)
    async with running(create_app, component_settings, (AUDIT,)) as service:
        await service.publish(create, change, racing, delete)
        async with service.ctx.db().acquire() as conn:
            answers = [await fetch_answer(conn, rid) for rid in (first, second, late)]
            description = await conn.fetchval(
                "SELECT description FROM audience.audiences WHERE name = $1", name)
    assert [a.outcome if a else None for a in answers] == ["updated", "refused", "refused"]
    assert [a.stale for a in answers if a] == [False, True, True]
    assert answers[1] and answers[1].error.endswith("since version 1; it is now at version 2")
    assert description == "first"


async def test_an_undecodable_command_is_dead_lettered_not_retried(component_settings) -> None:
    async with running(create_app, component_settings, ()) as service:
        await service.publish(Outgoing(AUDIENCE_COMMANDS, "k", GARBAGE))
    assert [(d["service"], d["reason_code"]) for d in service.dead_letters()] == [
        ("audience", "not_avro")]


async def test_a_redelivered_command_is_applied_once(component_settings) -> None:
    name = f"comp-{uuid.uuid4().hex[:8]}"
    request_id, create = command("CREATE", name, criteria_json='{"verified": true}')
    async with running(create_app, component_settings, (AUDIT,)) as service:
        await service.publish(create)
        await service.publish(create)
        async with service.ctx.db().acquire() as conn:
            rows = await conn.fetchval(
                """SELECT count(*) FROM audience.audience_versions v
                   JOIN audience.audiences a USING (audience_id) WHERE a.name = $1""", name)
            answer = await fetch_answer(conn, request_id)
    assert rows == 1 and answer is not None and answer.outcome == "created"
    assert json.dumps(answer.detail["members"]) == "0"

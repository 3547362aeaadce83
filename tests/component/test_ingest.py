"""Ingest in memory: a batch of submissions in, raw profiles, rejections and dead letters out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.ingest.app import create_app
from sxp_common.kafka import Outgoing, outgoing
from sxp_common.topics import PROFILES_RAW, PROFILES_REJECTED, PROFILES_SUBMITTED
from tests.component.harness import GARBAGE, running

pytestmark = pytest.mark.component


def submission(job_id: str, platform: str, username: str) -> dict:
    return {"submission_id": uuid.uuid4().hex, "job_id": job_id, "source": "c.jsonl:1",
            "submitted_at": datetime.now(UTC), "platform": platform, "username": username,
            "display_name": None, "bio": "Chef, write me at chef@example.com", "followers": 10,
            "following": 1, "posts": 2, "verified": None, "profile_url": None,
            "external_url": None, "category": None, "location": None, "collected_at": None}


async def test_a_batch_becomes_raw_profiles_rejections_and_a_dead_letter(
        component_settings) -> None:
    job, username = uuid.uuid4().hex, f"c{uuid.uuid4().hex[:10]}"
    good, bad = submission(job, "x", username), submission(job, "myspace", username)
    async with running(create_app, component_settings,
                       (PROFILES_RAW, PROFILES_REJECTED)) as service:
        await service.publish(outgoing(PROFILES_SUBMITTED, "k", good),
                              outgoing(PROFILES_SUBMITTED, "k", bad),
                              Outgoing(PROFILES_SUBMITTED, "k", GARBAGE))
        async with service.ctx.db().acquire() as conn:
            stored = await conn.fetch("SELECT username, version FROM social.raw_social_profiles"
                                      " WHERE username = $1", username)
    raw = service.decoded(PROFILES_RAW)
    assert [(r["username"], r["version"], r["submission_id"]) for r in raw] == [
        (username, 1, good["submission_id"])]
    assert "example.com" not in (raw[0]["bio"] or "") and raw[0]["contact_data_removed"]
    assert [(r["submission_id"], r["reason_code"]) for r in service.decoded(PROFILES_REJECTED)
            ] == [(bad["submission_id"], "unknown_platform")]
    assert [(d["service"], d["source_topic"], d["reason_code"], d["value"])
            for d in service.dead_letters()] == [("ingest", PROFILES_SUBMITTED, "not_avro",
                                                  GARBAGE)]
    assert [dict(r) for r in stored] == [{"username": username, "version": 1}]


async def test_a_redelivered_batch_stores_no_second_version(component_settings) -> None:
    username = f"c{uuid.uuid4().hex[:10]}"
    message = outgoing(PROFILES_SUBMITTED, "k", submission(uuid.uuid4().hex, "x", username))
    async with running(create_app, component_settings, (PROFILES_RAW,)) as service:
        await service.publish(message)
        await service.publish(message)  # the same record again: offset 0 of partition 0
        async with service.ctx.db().acquire() as conn:
            versions = await conn.fetchval(
                "SELECT count(*) FROM social.raw_social_profile_versions v JOIN "
                "social.raw_social_profiles p USING (profile_id) WHERE p.username = $1", username)
    assert versions == 1
    assert service.dead_letters() == []

"""The shortcuts `sxp publish` takes per record give exactly what the general code gives:
flat Avro records byte for byte as fastavro writes them, the submission id as uuid5, the
partition as the Kafka client's murmur2 partitioner, input typing as before."""

from __future__ import annotations

import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as client_murmur2
from fastavro import schemaless_writer

from sxp_cli.publish import submission_id
from sxp_cli.reader import parse_json, type_row
from sxp_common import avro
from sxp_common.kafka import key_partition, murmur2
from sxp_common.topics import PROFILES_RAW, PROFILES_REJECTED, PROFILES_SUBMITTED

pytestmark = pytest.mark.unit

FLAT_TOPICS = (PROFILES_SUBMITTED, PROFILES_RAW, PROFILES_REJECTED)
TEXTS = ("", "a", "Grundschullehrerin 🍎 | für", "x" * 200, "日本語のプロフィール", "\x00tab\t")


def random_value(rng: random.Random, kind: str, nullable: bool) -> Any:
    if nullable and rng.random() < 0.3:
        return None
    if kind == "string":
        return rng.choice(TEXTS) + str(rng.getrandbits(20))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(-(1 << 31), (1 << 31) - 1)
    if kind == "long":
        return rng.choice([0, -1, 63, 64, -65, rng.randint(-(1 << 63), (1 << 63) - 1)])
    zone = rng.choice([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(minutes=330))])
    return datetime(1950, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=rng.randint(0, 100 * 365 * 86400 * 10**6)) if zone is UTC else \
        datetime(2026, 3, 1, 12, 0, 0, rng.randint(0, 999_999), tzinfo=zone)


def fastavro_bytes(topic: str, record: dict[str, Any]) -> bytes:
    schema = avro.topic_schema(topic)
    buffer = io.BytesIO()
    schemaless_writer(buffer, schema.current, record)
    return avro.MAGIC + schema.current_fingerprint + buffer.getvalue()


@pytest.mark.parametrize("topic", FLAT_TOPICS)
def test_flat_records_encode_byte_for_byte_as_fastavro(topic: str) -> None:
    plan = avro.topic_schema(topic).flat
    assert plan is not None, f"{topic} is flat: the fast path applies"
    rng = random.Random(topic)
    for _ in range(2000):
        record = {name: random_value(rng, kind, nullable) for name, kind, nullable in plan}
        assert avro.encode(topic, record) == fastavro_bytes(topic, record), record
        assert avro.decode(topic, avro.encode(topic, record)).keys() == record.keys()


def test_values_of_another_type_are_left_to_fastavro_and_its_errors() -> None:
    base = {"submission_id": "s", "job_id": "j", "source": "f:1",
            "submitted_at": datetime(2026, 1, 1, tzinfo=UTC), "platform": "x", "username": "a"}
    naive = dict(base, submitted_at=datetime(2026, 1, 1))  # fastavro reads it as local time
    assert avro.encode(PROFILES_SUBMITTED, naive) == fastavro_bytes(PROFILES_SUBMITTED, naive)
    as_millis = dict(base, submitted_at=1_767_225_600_000)
    assert avro.encode(PROFILES_SUBMITTED, as_millis) == fastavro_bytes(PROFILES_SUBMITTED,
                                                                        as_millis)
    for wrong in ({"followers": "12"}, {"verified": "yes"}, {"username": 7},
                  {"followers": 1 << 64}, {"source": None}):
        with pytest.raises((ValueError, TypeError)):
            avro.encode(PROFILES_SUBMITTED, dict(base, **wrong))


def test_other_schemas_are_not_flat() -> None:
    assert avro.flat_plan({"type": "record", "name": "r", "fields": [
        {"name": "tags", "type": {"type": "array", "items": "string"}}]}) is None
    assert avro.flat_plan({"type": "record", "name": "r", "fields": [
        {"name": "n", "type": ["string", "null"]}]}) is None
    assert avro.flat_plan({"type": "record", "name": "r", "fields": [
        {"name": "d", "type": "double"}]}) is None


def test_submission_id_is_uuid5_of_the_job_and_line() -> None:
    for _ in range(200):
        job = uuid.uuid4()
        line = random.randint(1, 10**7)
        assert submission_id(job, line) == str(uuid.uuid5(job, str(line)))


def test_key_partition_is_the_client_default_partitioner() -> None:
    rng = random.Random(12)
    for length in range(0, 70):
        for _ in range(50):
            key = bytes(rng.getrandbits(8) for _ in range(length))
            assert murmur2(key) == client_murmur2(key)
    partitions = list(range(6))
    for n in range(3000):
        key = f"tiktok:creator_{n}".encode()
        assert key_partition(key, partitions) == DefaultPartitioner()(key, partitions, partitions)


def test_typing_keeps_its_meaning_for_every_kind_of_value() -> None:
    raw = {"platform": "x", "username": "", "display_name": 12, "bio": False, "followers": 7,
           "following": "1,204", "posts": 3.0, "verified": "yes", "location": None}
    assert type_row(raw) == {
        "platform": "x", "username": None, "display_name": "12", "bio": "False",
        "profile_url": None, "external_url": None, "category": None, "location": None,
        "collected_at": None, "followers": 7, "following": 1204, "posts": 3, "verified": True}
    with pytest.raises(ValueError, match="whole number"):
        type_row({"followers": True})


@pytest.mark.parametrize("line", [
    '{"username": "ana", "followers": 12}', '{"a": 1, "a": 2}', '{"n": 123456789012345678901234}',
    '{"x": NaN, "y": Infinity}', '{"s": "\\ud800 lone"}', '{"f": 1e400}', '[1, 2]',
    '  {"u": "é"}\n',
    '{"bio": {"n": 123456789012345678901234}}', '{"followers": 12.0, "ok": true, "no": null}',
])
def test_json_lines_parse_as_the_standard_library_parses_them(line: str) -> None:
    assert repr(parse_json(line)) == repr(json.loads(line))


@pytest.mark.parametrize("line", ['{"a": 1', "not json", '{"a": 1} trailing', ""])
def test_bad_json_lines_fail_with_the_standard_library_message(line: str) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        parse_json(line)
    with pytest.raises(json.JSONDecodeError) as standard:
        json.loads(line)
    assert ours.value.msg == standard.value.msg

"""Every topic's contract round-trips, and every revision reads what the previous one wrote."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from sxp_common import avro
from sxp_common.topics import TOPICS
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.contract
ROOT = avro.contracts_dir()


def revisions(topic: str) -> list[Path]:
    folder = ROOT / "revisions" / topic
    return sorted(folder.glob("r*.avsc"), key=lambda p: int(p.stem[1:]))


def resolve(data: bytes, writer: dict, reader: dict) -> dict:
    return schemaless_reader(io.BytesIO(data), parse_schema(writer), parse_schema(reader))


def added_fields_without_default(old: dict, new: dict) -> list[str]:
    old_names = {f["name"] for f in old["fields"]}
    return [f["name"] for f in new["fields"] if f["name"] not in old_names and "default" not in f]


def test_every_topic_with_a_contract_has_a_sample_and_frozen_revisions() -> None:
    contracted = [spec.name for spec in TOPICS if (ROOT / f"{spec.name}.avsc").exists()]
    assert set(SAMPLES) <= set(contracted) | {"sxp.deadletter.v1"}
    for topic in contracted:
        assert revisions(topic), f"{topic} has no frozen revision; run tests.contract.make_golden"


@pytest.mark.parametrize("topic", sorted(SAMPLES))
def test_the_sample_record_round_trips_through_the_codec(topic: str) -> None:
    encoded = avro.encode(topic, SAMPLES[topic])
    assert encoded[:2] == b"\xc3\x01"
    decoded = avro.decode(topic, encoded)
    for key, value in SAMPLES[topic].items():
        assert decoded[key] == value, key


@pytest.mark.parametrize("topic", sorted(SAMPLES))
def test_the_current_schema_is_the_newest_frozen_revision(topic: str) -> None:
    current = json.loads((ROOT / f"{topic}.avsc").read_text())
    assert json.loads(revisions(topic)[-1].read_text()) == current, (
        f"{topic}.avsc changed: prove it compatible and freeze it (python -m "
        f"tests.contract.make_golden)"
    )


@pytest.mark.parametrize("topic", sorted(SAMPLES))
def test_each_revision_reads_what_the_previous_one_wrote(topic: str) -> None:
    chain = revisions(topic)
    for older, newer in zip(chain, chain[1:], strict=False):
        old, new = json.loads(older.read_text()), json.loads(newer.read_text())
        assert not added_fields_without_default(old,
                                                new), f"{newer.name} adds a field with no default"
        golden = older.with_suffix(".avro").read_bytes()[avro.HEADER_LEN:]
        resolve(golden, old, new)


@pytest.mark.parametrize("topic", sorted(SAMPLES))
def test_each_revision_is_read_by_the_previous_reader(topic: str) -> None:
    """Forward compatibility: a consumer still on the older revision reads newer data."""
    chain = revisions(topic)
    for older, newer in zip(chain, chain[1:], strict=False):
        old, new = json.loads(older.read_text()), json.loads(newer.read_text())
        resolve(newer.with_suffix(".avro").read_bytes()[avro.HEADER_LEN:], new, old)


def test_lead_batch_r2_adds_the_card_revision_readable_both_ways() -> None:
    r1, r2 = revisions("sxp.lead-batch.v1")[:2]
    old, new = json.loads(r1.read_text()), json.loads(r2.read_text())
    old_data = r1.with_suffix(".avro").read_bytes()[avro.HEADER_LEN:]
    new_data = r2.with_suffix(".avro").read_bytes()[avro.HEADER_LEN:]
    assert [c["revision"] for c in resolve(old_data, old, new)["cards"]] == [1]
    read_by_old = resolve(new_data, new, old)
    assert "revision" not in read_by_old["cards"][0]
    sample_card = SAMPLES["sxp.lead-batch.v1"]["cards"][0]
    assert read_by_old["cards"][0]["lead_card_id"] == sample_card["lead_card_id"]
    assert avro.decode("sxp.lead-batch.v1",
                       r2.with_suffix(".avro").read_bytes())["cards"][0]["revision"] == 3


@pytest.mark.parametrize("topic", sorted(SAMPLES))
def test_golden_bytes_of_every_revision_decode_with_the_current_codec(topic: str) -> None:
    for revision in revisions(topic):
        decoded = avro.decode(topic, revision.with_suffix(".avro").read_bytes())
        assert decoded, revision


def test_a_breaking_change_is_caught_by_the_compatibility_rules() -> None:
    old = json.loads((ROOT / "sxp.profiles.rejected.v1.avsc").read_text())
    new = json.loads(json.dumps(old))
    new["fields"].append({"name": "severity", "type": "int"})
    assert added_fields_without_default(old, new) == ["severity"]
    retyped = json.loads(json.dumps(old))
    for field in retyped["fields"]:
        if field["name"] == "reason_code":
            field["type"] = "int"
    buffer = io.BytesIO()
    schemaless_writer(buffer, parse_schema(old), SAMPLES["sxp.profiles.rejected.v1"])
    with pytest.raises(Exception) as refused:  # noqa: B017 - fastavro's error types vary by version
        resolve(buffer.getvalue(), old, retyped)
    assert not isinstance(refused.value, AssertionError)


def test_bytes_that_are_not_avro_are_refused_with_a_reason() -> None:
    with pytest.raises(avro.UndecodableMessage) as not_avro:
        avro.decode("sxp.profiles.submitted.v1", b'{"platform": "x"}')
    assert not_avro.value.reason_code == "not_avro"
    with pytest.raises(avro.UndecodableMessage) as unknown:
        avro.decode("sxp.profiles.submitted.v1", b"\xc3\x01" + b"\x00" * 8 + b"\x02")
    assert unknown.value.reason_code == "unknown_schema"
    with pytest.raises(avro.UndecodableMessage) as empty:
        avro.decode("sxp.profiles.submitted.v1", None)
    assert empty.value.reason_code == "empty_value"
    good = avro.encode("sxp.profiles.submitted.v1", SAMPLES["sxp.profiles.submitted.v1"])
    with pytest.raises(avro.UndecodableMessage) as corrupt:
        avro.decode("sxp.profiles.submitted.v1", good[:14])
    assert corrupt.value.reason_code == "corrupt_avro"


def test_an_enrichment_batch_over_250_cards_is_refused_by_the_schema_both_ways() -> None:
    sample = SAMPLES["sxp.enrichment.requested.v1"]
    too_big = {**sample, "items": sample["items"] * 251}
    with pytest.raises(ValueError, match="at most 250"):
        avro.encode("sxp.enrichment.requested.v1", too_big)
    assert len(avro.decode("sxp.enrichment.requested.v1",
                           avro.encode("sxp.enrichment.requested.v1",
                                       {**sample, "items": sample["items"] * 250}))["items"]) == 250
    schema = avro.topic_schema("sxp.enrichment.requested.v1")
    buffer = io.BytesIO()
    buffer.write(avro.MAGIC + schema.current_fingerprint)
    schemaless_writer(buffer, schema.current, too_big)
    with pytest.raises(avro.UndecodableMessage) as refused:
        avro.decode("sxp.enrichment.requested.v1", buffer.getvalue())
    assert refused.value.reason_code == "constraint_violation"

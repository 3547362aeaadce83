"""Lead Card Batch r3 and the export command r2 add the audience, both defaulting to null:
each revision reads what the one before wrote and older data reads as no audience."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest
from fastavro import parse_schema, schemaless_reader

from sxp_common import avro
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.contract
BATCH, EXPORT = "sxp.lead-batch.v1", "sxp.export.commands.v1"


def folder(topic: str):
    return avro.contracts_dir() / "revisions" / topic


def read(topic: str, golden: str, reader: str) -> dict:
    schema = lambda rev: parse_schema(json.loads((folder(topic) / f"{rev}.avsc").read_text()))  # noqa: E731
    body = (folder(topic) / f"{golden}.avro").read_bytes()[avro.HEADER_LEN:]
    return schemaless_reader(io.BytesIO(body), schema(golden), schema(reader))


def test_an_r2_batch_reader_reads_an_audience_batch_and_ignores_the_audience() -> None:
    record = read(BATCH, "r3", reader="r2")
    assert "audience_id" not in record and "criteria_hash" not in record
    assert record["checksum"] == SAMPLES[BATCH]["checksum"]
    assert record["cards"][0]["revision"] == 3


@pytest.mark.parametrize("golden", ["r1", "r2"])
def test_older_batches_read_as_no_audience(golden: str) -> None:
    record = read(BATCH, golden, reader="r3")
    assert record["audience_id"] is None and record["criteria_hash"] is None
    decoded = avro.decode(BATCH, (folder(BATCH) / f"{golden}.avro").read_bytes())
    assert decoded["audience_id"] is None


def test_the_codec_keeps_the_audience_of_a_batch() -> None:
    decoded = avro.decode(BATCH, (folder(BATCH) / "r3.avro").read_bytes())
    assert decoded["audience_id"] == SAMPLES[BATCH]["audience_id"]
    assert decoded["criteria_hash"] == SAMPLES[BATCH]["criteria_hash"]


def test_the_json_schema_takes_an_audience_batch_and_an_older_document() -> None:
    schema = json.loads((avro.contracts_dir() / "lead-batch.v1.schema.json").read_text())
    document = {**SAMPLES[BATCH], "created_at": "2026-11-01T12:00:00.000Z"}
    jsonschema.validate(document, schema)
    older = {k: v for k, v in document.items() if k not in ("audience_id", "criteria_hash")}
    jsonschema.validate(older, schema)
    jsonschema.validate({**document, "audience_id": None, "criteria_hash": None}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "criteria_hash": "not-a-hash"}, schema)


def test_export_commands_of_r1_read_as_every_ready_card_and_r1_reads_r2() -> None:
    assert read(EXPORT, "r1", reader="r2")["audience_id"] is None
    assert "audience_id" not in read(EXPORT, "r2", reader="r1")
    decoded = avro.decode(EXPORT, (folder(EXPORT) / "r2.avro").read_bytes())
    assert decoded["audience_id"] == SAMPLES[EXPORT]["audience_id"]

"""sxp.enrichment.commands.v1 r2 (retry_failed) is compatible both ways with r1."""

from __future__ import annotations

import io
import json

import pytest
from fastavro import parse_schema, schemaless_reader

from sxp_common import avro
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.contract
TOPIC = "sxp.enrichment.commands.v1"
FOLDER = avro.contracts_dir() / "revisions" / TOPIC


def schema(revision: str) -> dict:
    return json.loads((FOLDER / f"{revision}.avsc").read_text())


def read(golden: str, writer: str, reader: str) -> dict:
    body = (FOLDER / f"{golden}.avro").read_bytes()[avro.HEADER_LEN:]
    return schemaless_reader(io.BytesIO(body), parse_schema(schema(writer)),
                             parse_schema(schema(reader)))


def test_an_r1_reader_reads_r2_data_and_ignores_retry_failed() -> None:
    record = read("r2", writer="r2", reader="r1")
    assert "retry_failed" not in record
    assert record["request_id"] == SAMPLES[TOPIC]["request_id"]
    assert record["labels"] == SAMPLES[TOPIC]["labels"]


def test_an_r2_reader_reads_r1_data_as_not_a_retry() -> None:
    record = read("r1", writer="r1", reader="r2")
    assert record["retry_failed"] is False
    assert avro.decode(TOPIC, (FOLDER / "r1.avro").read_bytes())["retry_failed"] is False


def test_the_current_codec_keeps_retry_failed() -> None:
    assert avro.decode(TOPIC, (FOLDER / "r2.avro").read_bytes())["retry_failed"] is True
    fresh = {**SAMPLES[TOPIC]}
    fresh.pop("retry_failed")
    assert avro.decode(TOPIC, avro.encode(TOPIC, fresh))["retry_failed"] is False

"""sxp.enrichment.commands.v1: r2 (retry_failed) and r3 (kind, older_than_s) are compatible
both ways with the revisions before them."""

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


def test_an_r2_reader_reads_r3_data_and_ignores_the_command_kind() -> None:
    record = read("r3", writer="r3", reader="r2")
    assert "kind" not in record and "older_than_s" not in record
    assert record["request_id"] == SAMPLES[TOPIC]["request_id"]
    assert record["retry_failed"] is True


@pytest.mark.parametrize("golden", ["r1", "r2"])
def test_an_r3_reader_reads_older_data_as_a_request(golden: str) -> None:
    record = read(golden, writer=golden, reader="r3")
    assert record["kind"] == "REQUEST" and record["older_than_s"] is None
    assert avro.decode(TOPIC, (FOLDER / f"{golden}.avro").read_bytes())["kind"] == "REQUEST"


def test_the_current_codec_keeps_the_command_kind() -> None:
    assert avro.decode(TOPIC, (FOLDER / "r3.avro").read_bytes())["kind"] == "DRY_RUN"
    reap = {**SAMPLES[TOPIC], "kind": "REAP", "older_than_s": 0.0}
    decoded = avro.decode(TOPIC, avro.encode(TOPIC, reap))
    assert (decoded["kind"], decoded["older_than_s"]) == ("REAP", 0.0)
    with pytest.raises(ValueError):
        avro.encode(TOPIC, {**SAMPLES[TOPIC], "kind": "DELETE_EVERYTHING"})


def test_an_r3_reader_reads_r4_data_and_ignores_the_audience() -> None:
    record = read("r4", writer="r4", reader="r3")
    assert "audience_id" not in record and "top" not in record
    assert record["request_id"] == SAMPLES[TOPIC]["request_id"]
    assert record["kind"] == "DRY_RUN"


@pytest.mark.parametrize("golden", ["r1", "r2", "r3"])
def test_an_r4_reader_reads_older_data_as_no_audience(golden: str) -> None:
    record = read(golden, writer=golden, reader="r4")
    assert record["audience_id"] is None and record["top"] is None
    assert avro.decode(TOPIC, (FOLDER / f"{golden}.avro").read_bytes())["audience_id"] is None


def test_the_current_codec_keeps_the_audience_and_top() -> None:
    decoded = avro.decode(TOPIC, (FOLDER / "r4.avro").read_bytes())
    assert decoded["audience_id"] == SAMPLES[TOPIC]["audience_id"]
    assert decoded["top"] == SAMPLES[TOPIC]["top"]

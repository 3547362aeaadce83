"""Lead Card Batch v1: readiness, canonical payload, checksum, batch ids, contract checks,
signature."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader

from services.exporter.domain import (
    Producer,
    batch_from_document,
    batch_id_for,
    build_batch,
    canonical_payload,
    card_from_row,
    changed_card_ids,
    checksum_of,
    is_execution_ready,
    plan_batches,
    screen_batches,
    sign,
    signature_valid,
)
from services.exporter.exporting import load_contract
from services.exporter.validation import contract_errors, document_errors, schema_errors
from sxp_common import avro

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
PRODUCER = Producer("sxp-exporter", "exporter-1")
CONTRACT = load_contract()


def row(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A lead_cards row as the exporter's query returns it (LABELED, no contact)."""
    base = {
        "lead_card_id": uuid.UUID(int=n), "profile_id": uuid.UUID(int=10_000 + n),
        "profile_version": 2, "content_hash": "ab" * 32, "job_id": "job-1", "platform": "x",
        "username": f"user{n}", "readiness": "LABELED", "base_confidence": 0.712345,
        "audience_pool": "x.startups_tech.mid", "persona": "founder", "persona_confidence": 0.9,
        "tribe": "startups_tech", "tribe_confidence": 0.8, "industry": None,
        "industry_confidence": None, "execution_label": "PARTNER",
        "execution_label_confidence": 0.9,
        "label_evidence": json.dumps({"persona": ["bio:founder"], "tribe": ["bio:saas"]}),
        "taxonomy_version": "v1", "labeled_at": NOW, "enrichment_status": "NONE",
        "contact_id": None,
    }
    return {**base, **overrides}


def enriched_row(n: int = 2) -> dict[str, Any]:
    """A row of an ENRICHED card joined with its Tier 2 contact and business."""
    contact_id, business_id = uuid.UUID(int=20_000 + n), uuid.UUID(int=30_000 + n)
    return row(n, readiness="ENRICHED", enrichment_status="ENRICHED", contact_id=contact_id,
               business_id=business_id, contact_contact_id=contact_id, contact_full_name="Ana Díaz",
               contact_title="CEO",
               contact_email="ana@example.com", contact_email_status="verified",
               contact_phone="+1 512-555-0101", contact_phone_type="mobile",
               contact_do_not_call=False, contact_linkedin_url=None, contact_city="Austin",
               contact_state="TX", contact_country="US", business_business_id=business_id,
               business_name="Díaz Labs", business_domain="diazlabs.example",
               business_industry="technology", business_phone=None)


def cards(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [card_from_row(r) for r in rows]


def test_a_card_is_ready_when_labeled_or_enriched_and_no_enrichment_is_in_flight() -> None:
    assert is_execution_ready("LABELED", "NONE")
    assert is_execution_ready("ENRICHED", "ENRICHED")
    assert is_execution_ready("LABELED", "FAILED")
    assert not is_execution_ready("LABELED", "REQUESTED")
    assert not is_execution_ready("STRUCTURED", "NONE")


def test_the_canonical_payload_is_the_cards_as_sorted_compact_utf8_json() -> None:
    payload = canonical_payload([{"b": 1.0, "a": "Díaz", "c": None}])
    assert payload == '[{"a":"Díaz","b":1.0,"c":null}]'.encode()
    assert checksum_of([{"b": 1.0, "a": "Díaz", "c": None}]) == hashlib.sha256(payload).hexdigest()


def test_key_order_of_a_card_does_not_change_the_checksum() -> None:
    card = card_from_row(row())
    reordered = dict(reversed(list(card.items())))
    assert checksum_of([card]) == checksum_of([reordered])


def test_a_labeled_card_carries_labels_scores_and_lineage_but_no_contact_fields() -> None:
    card = card_from_row(row())
    assert card["contact"] is None and card["business"] is None
    assert card["lineage"] == {"profile_id": str(uuid.UUID(int=10_001)), "profile_version": 2,
                               "content_hash": "ab" * 32, "job_id": "job-1",
                               "contact_id": None, "business_id": None}
    assert card["labels"]["persona"] == {"id": "founder", "confidence": 0.9,
                                         "evidence": ["bio:founder"]}
    assert card["labels"]["industry"] is None
    assert card["base_confidence"] == 0.7123
    assert card["labeled_at"] == "2026-11-01T12:00:00.123Z"


def test_an_enriched_card_carries_its_tier2_contact_and_business() -> None:
    card = card_from_row(enriched_row())
    assert card["contact"]["email"] == "ana@example.com"
    assert card["contact"]["do_not_call"] is False
    assert card["business"]["name"] == "Díaz Labs"
    assert card["lineage"]["contact_id"] == card["contact"]["contact_id"]
    assert card["lineage"]["business_id"] == card["business"]["business_id"]


def test_an_enriched_card_may_carry_only_a_business_when_no_person_was_found() -> None:
    only_business = enriched_row()
    only_business.update(contact_id=None, contact_contact_id=None)
    card = card_from_row(only_business)
    assert card["contact"] is None and card["business"]["domain"] == "diazlabs.example"
    assert contract_errors(build_batch("file", [card], PRODUCER, NOW), CONTRACT) == []


def test_tier2_links_of_a_card_that_is_not_enriched_are_left_out() -> None:
    card = card_from_row({**enriched_row(), "readiness": "LABELED"})
    assert (card["contact"], card["business"], card["lineage"]["contact_id"]) == (None, None, None)


def test_the_batch_id_depends_on_the_set_of_cards_and_the_transport_only() -> None:
    assert batch_id_for("file", ["b", "a"]) == batch_id_for("file", ["a", "b"])
    assert batch_id_for("file", ["a", "b"]) != batch_id_for("queue", ["a", "b"])
    assert batch_id_for("file", ["a", "b"]) != batch_id_for("file", ["a"])
    later = build_batch("file", cards(row(2), row(1)), Producer("sxp-cli", "ana@laptop"),
                        datetime.now(UTC))
    first = build_batch("file", cards(row(1), row(2)), PRODUCER, NOW)
    assert (later.batch_id, later.checksum) == (first.batch_id, first.checksum)


def test_cards_are_cut_into_batches_of_at_most_the_batch_size_in_id_order() -> None:
    batches = plan_batches("queue", cards(*(row(n) for n in (5, 3, 1, 4, 2))), PRODUCER, NOW, 2)
    assert [b.count for b in batches] == [2, 2, 1]
    assert [c for b in batches for c in b.card_ids] == [str(uuid.UUID(int=n)) for n in (1, 2, 3, 4,
                                                                                        5)]
    with pytest.raises(ValueError):
        plan_batches("queue", [], PRODUCER, NOW, 1001)


def test_a_built_batch_keeps_the_contract_in_json_avro_and_rules() -> None:
    batch = build_batch("file", cards(row(1), enriched_row(2)), PRODUCER, NOW)
    assert contract_errors(batch, CONTRACT) == []
    document = json.loads(batch.body())
    assert document["created_at"] == "2026-11-01T12:00:00.123Z"
    assert document["count"] == 2 and document["schema_version"] == "v1"


def test_the_json_document_and_the_avro_record_on_the_topic_are_the_same_batch() -> None:
    batch = build_batch("queue", cards(row(1), enriched_row(2)), PRODUCER, NOW)
    decoded = avro.decode("sxp.lead-batch.v1",
                          avro.encode("sxp.lead-batch.v1", batch.avro_record()))
    assert decoded["created_at"] == batch.created_at
    assert {**decoded, "created_at": batch.document()["created_at"]} == batch.document()
    assert checksum_of(decoded["cards"]) == batch.checksum


def test_a_confidence_above_one_breaks_the_contract_and_the_error_names_only_the_path() -> None:
    batch = build_batch("file", cards(row(1, persona_confidence=7.5)), PRODUCER, NOW)
    errors = contract_errors(batch, CONTRACT)
    assert errors == ["$.cards[0].labels.persona.confidence: above the maximum 1"]


def test_an_enriched_card_whose_contact_row_is_missing_breaks_the_contract() -> None:
    broken = enriched_row()
    broken["contact_contact_id"] = None
    errors = contract_errors(build_batch("file", cards(broken), PRODUCER, NOW), CONTRACT)
    assert errors == ["$.cards[0].lineage.contact_id: must be the id of the card's contact"]


def test_an_enriched_card_without_any_tier2_fields_breaks_the_contract() -> None:
    empty = enriched_row()
    empty.update(contact_id=None, contact_contact_id=None, business_id=None,
                 business_business_id=None)
    errors = contract_errors(build_batch("file", cards(empty), PRODUCER, NOW), CONTRACT)
    assert errors == ["$.cards[0]: matches none of the allowed forms"]


def test_a_wrong_checksum_or_count_breaks_the_contract() -> None:
    batch = build_batch("api", cards(row(1)), PRODUCER, NOW)
    tampered = copy.deepcopy(batch.document())
    tampered["cards"][0]["username"] = "someone_else"
    assert contract_errors(batch_from_document("api", tampered), CONTRACT) == [
        "$.checksum: does not match the canonical payload of cards"]
    extra = copy.deepcopy(batch.document())
    extra["count"] = 2
    assert document_errors(extra, CONTRACT) == ["$.count: must equal the number of cards"]


def test_no_contact_value_appears_in_a_contract_error() -> None:
    bad = enriched_row()
    bad["contact_email"] = "not-an-email but private"
    errors = contract_errors(build_batch("file", cards(bad), PRODUCER, NOW), CONTRACT)
    assert errors and not any("private" in e for e in errors)


def test_screening_refuses_a_bad_batch_and_sends_its_good_cards_in_a_new_batch() -> None:
    planned = plan_batches("file", cards(row(1), row(2, tribe_confidence=-1.0), row(3)), PRODUCER,
                           NOW, 500)
    accepted, refused = screen_batches(planned, lambda b: contract_errors(b, CONTRACT), 500)
    assert [r.batch.batch_id for r in refused] == [planned[0].batch_id]
    assert refused[0].errors == ("$.cards[1].labels.tribe.confidence: below the minimum 0",)
    assert [b.card_ids for b in accepted] == [[str(uuid.UUID(int=1)), str(uuid.UUID(int=3))]]
    assert accepted[0].batch_id != planned[0].batch_id


def test_a_stored_document_rebuilds_the_same_batch_with_the_same_id_and_checksum() -> None:
    batch = build_batch("api", cards(row(1), enriched_row(2)), PRODUCER, NOW)
    again = batch_from_document("api", json.loads(batch.body()))
    assert again == batch
    assert again.body() == batch.body()


def test_the_signature_matches_only_the_exact_body_under_the_right_secret() -> None:
    body = build_batch("api", cards(row(1)), PRODUCER, NOW).body()
    header = sign("s3cret", body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signature_valid("s3cret", body, header)
    assert not signature_valid("other", body, header)
    assert not signature_valid("s3cret", body + b" ", header)
    assert not signature_valid("s3cret", body, None)


def test_the_cards_to_look_at_come_from_labeled_cards_and_enrichment_results() -> None:
    assert changed_card_ids("sxp.leadcards.labeled.v1", {"lead_card_id": "a"}) == ["a"]
    completed = {"batch_id": "b", "results": [{"lead_card_id": "a"}, {"lead_card_id": "c"}]}
    assert changed_card_ids("sxp.enrichment.completed.v1", completed) == ["a", "c"]


def test_the_json_schema_check_applies_types_anyof_and_if_then() -> None:
    schema = {"type": "object", "required": ["k"], "properties": {
        "k": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}},
        "if": {"properties": {"k": {"const": 1}}}, "then": {"required": ["extra"]}}
    assert schema_errors({"k": None}, schema) == []
    assert schema_errors({"k": 0}, schema) == ["$.k: matches none of the allowed forms"]
    assert schema_errors({"k": True}, schema) == ["$.k: matches none of the allowed forms"]
    assert schema_errors({"k": 1}, schema) == ["$.extra: required"]
    assert schema_errors([], schema) == ["$: must be of type object"]


def test_the_json_schema_check_applies_keywords_a_hand_written_subset_would_skip() -> None:
    schema = {"type": "object", "additionalProperties": False,
              "properties": {"ids": {"type": "array", "uniqueItems": True}}}
    assert schema_errors({"ids": [1, 2]}, schema) == []
    assert schema_errors({"ids": [1, 1]},
                         schema) == ["$.ids: breaks the schema's 'uniqueItems' rule"]
    assert schema_errors({"ids": [], "secret@example.com": 1}, schema) == [
        "$: breaks the schema's 'additionalProperties' rule"]


def test_both_avro_contract_files_of_the_lead_batch_are_identical() -> None:
    contracts = ROOT / "contracts"
    short, long = contracts / "lead-batch.v1.avsc", contracts / "sxp.lead-batch.v1.avsc"
    assert short.read_bytes() == long.read_bytes()


def _avro_fields(schema: Any, names: dict[str, Any]) -> Any:
    if isinstance(schema, list):
        non_null = [s for s in schema if s != "null"]
        return _avro_fields(non_null[0], names)
    if isinstance(schema, str):
        return _avro_fields(names[schema], names) if schema in names else None
    if schema.get("type") == "record":
        names[schema["name"]] = schema
        return {f["name"]: _avro_fields(f["type"], names) for f in schema["fields"]}
    if schema.get("type") == "array":
        return _avro_fields(schema["items"], names)
    return None


def _json_fields(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _json_fields(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
    if "anyOf" in schema:
        return next((f for f in (_json_fields(o, root) for o in schema["anyOf"]) if f), None)
    if "items" in schema:
        return _json_fields(schema["items"], root)
    if "properties" in schema:
        return {k: _json_fields(v, root) for k, v in schema["properties"].items()}
    return None


def test_the_json_schema_and_the_avro_schema_describe_the_same_fields() -> None:
    contracts = ROOT / "contracts"
    avro_schema = json.loads((contracts / "lead-batch.v1.avsc").read_text())
    json_schema = json.loads((contracts / "lead-batch.v1.schema.json").read_text())
    assert _json_fields(json_schema, json_schema) == _avro_fields(avro_schema, {})


def test_a_compatible_v1_revision_reads_a_batch_written_with_r1() -> None:
    folder = ROOT / "contracts" / "revisions" / "sxp.lead-batch.v1"
    r1 = json.loads((folder / "r1.avsc").read_text())
    r2 = copy.deepcopy(r1)
    r2["fields"].append({"name": "source_system", "type": "string", "default": "sxp"})
    golden = (folder / "r1.avro").read_bytes()[avro.HEADER_LEN:]
    read = schemaless_reader(io.BytesIO(golden), parse_schema(r1), parse_schema(r2))
    assert read["source_system"] == "sxp" and read["count"] == len(read["cards"])


def _load_example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_reference_consumer_decodes_and_verifies_what_the_exporter_publishes() -> None:
    consumer = _load_example("lead_batch_consumer")
    batch = build_batch("queue", cards(row(1), enriched_row(2)), PRODUCER, NOW)
    value = avro.encode("sxp.lead-batch.v1", batch.avro_record())
    verifier = consumer.Verifier(consumer.Decoder(ROOT / "contracts"))
    report = verifier.handle(0, 0, value)
    assert report["verified"] and report["batch_id"] == batch.batch_id and not report["duplicate"]
    assert verifier.handle(0, 1, value)["duplicate"]
    forged = avro.encode("sxp.lead-batch.v1", {**batch.avro_record(), "checksum": "0" * 64})
    assert verifier.handle(0, 2, forged)["problems"] == ["checksum does not match the cards"]


def test_the_reference_receiver_accepts_a_signed_batch_once_and_refuses_a_bad_signature() -> None:
    receiver_module = _load_example("api_receiver")
    receiver = receiver_module.Receiver("s3cret")
    batch = build_batch("api", cards(row(1)), PRODUCER, NOW)
    body = batch.body()
    headers = {"X-SXP-Signature": sign("s3cret", body), "Idempotency-Key": batch.batch_id}
    assert receiver.receive(body, headers)[0] == 201
    assert receiver.receive(body, headers) == (200,
                                               {"status": "duplicate", "batch_id": batch.batch_id})
    assert receiver.receive(body, {**headers, "X-SXP-Signature": sign("wrong", body)})[0] == 401
    assert list(receiver.accepted) == [batch.batch_id]


def test_an_audience_batch_carries_its_id_and_criteria_hash_in_every_encoding() -> None:
    from services.exporter.domain import AudienceTag, batch_from_document

    tag = AudienceTag("0b9a3c1e-6666-5f70-8a81-0123456789ab", "ef" * 32)
    batches = plan_batches("file", cards(row(1), row(2), row(3)), PRODUCER, NOW, 2, tag)
    assert [b.count for b in batches] == [2, 1]
    for batch in batches:
        assert contract_errors(batch, CONTRACT) == []
        document = json.loads(batch.body())
        assert (document["audience_id"], document["criteria_hash"]) == (tag.audience_id,
                                                                        tag.criteria_hash)
        assert batch_from_document("file", document).audience_tag() == tag
        decoded = avro.decode("sxp.lead-batch.v1",
                              avro.encode("sxp.lead-batch.v1", batch.avro_record()))
        assert decoded["audience_id"] == tag.audience_id
    plain = build_batch("file", cards(row(1)), PRODUCER, NOW)
    assert json.loads(plain.body())["audience_id"] is None
    assert plain.batch_id == build_batch("file", cards(row(1)), PRODUCER, NOW, tag).batch_id

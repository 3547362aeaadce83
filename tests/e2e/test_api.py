"""The HTTP API end to end: keys made with the CLI, profiles published over HTTP through the
real pipeline, lead cards paged, enrichment asked of the gate, batches re-sent.

Nothing is inserted by hand: every card here came from a POST /v1/profiles.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from services.exporter.transports import s3_client
from sxp_cli.fixtures import generate_profiles
from sxp_cli.processes import services_up
from tests.support.api import all_pages, client, make_key, wait_ready
from tests.support.pipeline import poll, query, restart_service, scalar, sxp

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(test_stack: Any) -> Any:
    """Every service running, the API ready."""
    services_up(test_stack, {})
    wait_ready(test_stack)
    return test_stack


@pytest.fixture(scope="module")
def keys(api: Any) -> dict[str, dict[str, Any]]:
    """A key per role a user would give out."""
    return {"ingest": make_key("ingest", "read"), "read": make_key("read"),
            "contacts": make_key("read", "read:contacts"), "enrich": make_key("enrich"),
            "export": make_key("export")}


@pytest.fixture(scope="module")
def job(api: Any, keys: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """600 profiles published as NDJSON over HTTP; the job once it has drained."""
    body = "\n".join(json.dumps(p) for p in generate_profiles(600, seed=41)) + "\nnot json\n"
    with client(api, keys["ingest"]["key"]) as http:
        answer = http.post("/v1/profiles", content=body.encode(),
                           headers={"Content-Type": "application/x-ndjson"})
        assert answer.status_code == 202, answer.text
        accepted = answer.json()
        state = poll(lambda: http.get(f"/v1/jobs/{accepted['job_id']}").json(),
                     lambda j: j.get("drained") is True, 180)
    return {"accepted": accepted, "state": state}


def test_a_publish_job_reports_drained_with_every_row_accounted_for(api, keys, job) -> None:
    accepted, state = job["accepted"], job["state"]
    assert accepted["refused"] == [{"line": 601, "reason": "not valid JSON (Expecting value)"}]
    assert state["drained"] and state["published"] == accepted["accepted"] == 600
    assert state["received"] == 600
    assert state["stored"] + state["duplicates"] + state["rejected"] == state["received"]
    with client(api, keys["ingest"]["key"]) as http:
        final = poll(lambda: http.get(f"/v1/jobs/{accepted['job_id']}").json(),
                     lambda j: sum(j["rejected_by_reason"].values()) == j["rejected"], 60)
    assert final["rejected"] > 0 and sum(final["rejected_by_reason"].values()) == final["rejected"]


def test_a_key_pages_through_every_lead_card_exactly_once(api, keys, job) -> None:
    # Every card in the database, not only this module's job: the ids at the start and at
    # the end of the paging must be the same set (the job has drained and nothing else
    # publishes meanwhile), and the pages must hold exactly that set, each card once.
    def all_ids() -> set[str]:
        return {str(r["lead_card_id"]) for r in
                query(api, "SELECT lead_card_id FROM execution.lead_cards")}

    before = all_ids()
    with client(api, keys["read"]["key"]) as http:
        cards = all_pages(http, "/v1/lead-cards", limit=97)
    after = all_ids()
    assert before == after, f"cards changed while paging: +{len(after - before)} " \
                            f"-{len(before - after)}"
    ids = [c["id"] for c in cards]
    assert len(ids) == len(set(ids)), "a card came twice"
    assert set(ids) == before and len(before) >= job["state"]["stored"]
    assert ids == sorted(ids)


def test_filters_narrow_the_cards_and_pages_have_limits(api, keys, job) -> None:
    with client(api, keys["read"]["key"]) as http:
        tiktok = all_pages(http, "/v1/lead-cards", platform="tiktok", readiness="LABELED",
                           min_confidence=0.5, limit=500)
        assert tiktok and all(c["platform"] == "tiktok" and c["readiness"] == "LABELED"
                              and c["execution_label"]["confidence"] >= 0.5 for c in tiktok)
        assert http.get("/v1/lead-cards", params={"limit": 501}).status_code == 422
        assert http.get("/v1/lead-cards", params={"cursor": "nonsense"}).status_code == 400
        first = http.get("/v1/lead-cards", params={"limit": 1, "platform": "x"}).json()
        other = http.get("/v1/lead-cards", params={"cursor": first["next_cursor"],
                                                   "platform": "tiktok"})
        assert other.status_code == 400, "a cursor belongs to the filters it was made for"


def test_a_card_shows_its_labels_evidence_lineage_and_trail(api, keys, job) -> None:
    row = query(api, "SELECT lead_card_id, profile_id, revision FROM execution.lead_cards "
                     "WHERE job_id = $1 AND persona IS NOT NULL ORDER BY lead_card_id LIMIT 1",
                job["accepted"]["job_id"])[0]
    with client(api, keys["read"]["key"]) as http:
        card = http.get(f"/v1/lead-cards/{row['lead_card_id']}").json()
        assert http.get("/v1/lead-cards/00000000-0000-0000-0000-000000000000").status_code == 404
    assert card["revision"] == row["revision"] and card["persona"]["value"]
    assert card["lineage"]["profile_id"] == str(row["profile_id"])
    assert card["lineage"]["profile"]["username"] == card["username"]
    assert card["label_evidence"] and isinstance(card["compliance_trail"], list)


def test_audience_pools_count_every_card(api, keys, job) -> None:
    with client(api, keys["read"]["key"]) as http:
        pools = http.get("/v1/audience-pools").json()
    cards = scalar(api, "SELECT count(*) FROM execution.lead_cards")
    assert pools["total"] == cards == sum(pools["by_platform"].values())
    assert sum(p["cards"] for p in pools["pools"]) == cards


def test_keys_and_scopes_guard_every_endpoint(api, keys) -> None:
    with client(api, None) as http:
        assert http.get("/v1/lead-cards").status_code == 401
    with client(api, "sxp_not-a-key") as http:
        assert http.get("/v1/lead-cards").status_code == 401
    with client(api, keys["read"]["key"]) as http:
        assert http.post("/v1/profiles", json=[]).status_code == 403
        assert http.get("/v1/lead-batches").status_code == 403
        assert http.post("/v1/enrichment-requests", json={"labels": ["PARTNER"]}
                         ).status_code == 403
    doomed = make_key("read", name="revoked")
    assert sxp("api-keys", "revoke", doomed["id"]).returncode == 0
    with client(api, doomed["key"]) as http:
        assert http.get("/v1/lead-cards").status_code == 401
    listed = json.loads(sxp("api-keys", "list", "--json").stdout)
    assert doomed["key"] not in json.dumps(listed), "a key is shown once, at creation"
    stored = scalar(api, "SELECT key_sha256 FROM api.api_keys WHERE id = $1::text::uuid",
                    doomed["id"])
    assert stored and stored != doomed["key"]


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b'{"platform": "x", "username": "a"}', "application/json", 400),
    (b"[1, 2]", "text/csv", 415),
])
def test_a_malformed_publish_is_refused_never_a_server_error(api, keys, body, content_type,
                                                              status) -> None:
    with client(api, keys["ingest"]["key"]) as http:
        answer = http.post("/v1/profiles", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == status and answer.json()["detail"]


@pytest.fixture(scope="module")
def enriched(api: Any, keys: dict[str, dict[str, Any]], job: Any) -> dict[str, Any]:
    """A dry run, then a real enrichment request, asked over HTTP, once the adapter is done."""
    with client(api, keys["enrich"]["key"]) as http:
        dry = http.post("/v1/enrichment-requests",
                        json={"labels": ["PARTNER", "AFFILIATE"], "dry_run": True}).json()
        real = http.post("/v1/enrichment-requests",
                         json={"labels": ["PARTNER", "AFFILIATE"], "limit": 40}).json()
        fetched = http.get(f"/v1/enrichment-requests/{real['request_id']}").json()
    open_batches = poll(lambda: scalar(api, "SELECT count(*) FROM enrichment.batches WHERE "
                                            "request_id = $1 AND status = 'requested'",
                                       real["request_id"]), lambda n: n == 0, 180)
    assert open_batches == 0
    return {"dry": dry, "real": real, "fetched": fetched}


def test_enrichment_goes_through_the_gate_and_a_dry_run_spends_nothing(api, enriched) -> None:
    dry, real = enriched["dry"], enriched["real"]
    assert dry["state"] == "answered" and dry["dry_run"] and dry["approved_count"] > 0
    assert scalar(api, "SELECT count(*) FROM enrichment.requests WHERE request_id = $1",
                  dry["request_id"]) == 0
    assert real["state"] == "answered" and 0 < real["approved_count"] <= 40
    assert enriched["fetched"]["approved_count"] == real["approved_count"]


def test_a_read_only_key_sees_no_contact_field_and_a_contacts_key_is_audited(
        api, keys, enriched) -> None:
    with client(api, keys["read"]["key"]) as http:
        plain = all_pages(http, "/v1/lead-cards", enrichment_status="ENRICHED", limit=500)
    assert plain and all("contact" not in c for c in plain)
    with client(api, keys["contacts"]["key"]) as http:
        full = all_pages(http, "/v1/lead-cards", enrichment_status="ENRICHED", limit=500)
    shown = [c for c in full if c.get("contact")]
    assert shown, "enriched cards carry their Tier 2 fields for a read:contacts key"
    key_id = keys["contacts"]["id"]
    events = poll(lambda: query(api, "SELECT * FROM audit.audit_log WHERE event_type = "
                                     "'contacts_viewed' AND actor_name = $1", key_id),
                  lambda rows: len(rows) > 0, 60)
    viewed = {i for e in events for i in json.loads(e["lead_card_ids"])}
    assert {c["id"] for c in shown} <= viewed
    values = {v for c in shown for v in c["contact"].values() if isinstance(v, str) and len(v) > 3}
    recorded = json.dumps([{k: str(v) for k, v in e.items()} for e in events])
    assert not [v for v in values if v in recorded], "an audit event carried a contact value"
    # No answer a read-only key can get carries a contact field or value: pages, each
    # enriched card's detail; batches and enrichment requests are outside its scope.
    with client(api, keys["read"]["key"]) as http:
        answers = [http.get(f"/v1/lead-cards/{c['id']}") for c in shown[:20]]
        answers += [http.get("/v1/lead-cards", params={"limit": 500}),
                    http.get("/v1/audience-pools")]
        outside = [http.get("/v1/lead-batches"), http.get(f"/v1/lead-batches/{uuid.uuid4()}"),
                   http.get(f"/v1/enrichment-requests/{enriched['real']['request_id']}")]
    assert all(a.status_code == 200 for a in answers)
    assert all("contact" not in a.json() for a in answers[:-2])
    assert [a.status_code for a in outside] == [403, 403, 403]
    # Values only Tier 2 holds (a name or a city may also be in the public Tier 1 profile).
    private = {c["contact"][f] for c in shown for f in ("email", "phone", "linkedin_url",
                                                         "business_phone") if c["contact"].get(f)}
    assert private, "enriched cards carry an email, a phone or a profile link"
    text = " ".join(a.text for a in answers + outside)
    assert not [v for v in private if v in text], "a read-only answer carried a contact value"
    # The enrichment answers (enrich scope) name cards and counts, never contact values.
    with client(api, keys["enrich"]["key"]) as http:
        request = http.get(f"/v1/enrichment-requests/{enriched['real']['request_id']}").text
    assert not [v for v in private if v in request]


@pytest.fixture(scope="module")
def file_batch(api: Any, keys: dict[str, dict[str, Any]], job: Any) -> dict[str, Any]:
    """A batch this module exported on the file transport, as the API shows it.

    On the file transport, not the queue: a queue batch sent again is on the topic twice,
    which the handoff tests (sharing the stack) rightly refuse to see. Its object in the
    bucket is this module's own, so the resend test may remove it to see it come back."""
    exported = sxp("export", "--transport", "file", "--json")
    assert exported.returncode == 0, exported.stderr
    printed = json.loads(exported.stdout.strip().splitlines()[-1])
    ours = [b for b in printed["batches"] if b["status"] == "delivered"]
    assert ours, printed
    with client(api, keys["export"]["key"]) as http:
        detail = http.get(f"/v1/lead-batches/{ours[0]['batch_id']}")
    assert detail.status_code == 200, detail.text
    return detail.json()


def bucket_key(batch_id: str) -> str:
    return f"exports/lead-batches/{batch_id}.json"


def test_batches_page_by_transport_and_show_their_document_and_checksum(
        api, keys, file_batch) -> None:
    with client(api, keys["export"]["key"]) as http:
        files = all_pages(http, "/v1/lead-batches", transport="file", limit=500)
        queued = all_pages(http, "/v1/lead-batches", transport="queue", limit=500)
    assert all(b["transport"] == "file" for b in files)
    assert all(b["transport"] == "queue" for b in queued)
    listed = next(b for b in files if b["batch_id"] == file_batch["batch_id"])
    assert listed["checksum"] == file_batch["checksum"] == file_batch["document"]["checksum"]
    cards = file_batch["document"]["cards"]
    canonical = json.dumps(cards, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == file_batch["checksum"]
    assert sorted(c["lead_card_id"] for c in cards) == file_batch["lead_card_ids"]


def test_a_resend_delivers_the_stored_document_again_on_its_transport_and_is_audited(
        api, keys, file_batch) -> None:
    batch_id, checksum = file_batch["batch_id"], file_batch["checksum"]
    s3 = s3_client(api)
    s3.delete_object(Bucket=api.s3_bucket, Key=bucket_key(batch_id))
    with client(api, keys["export"]["key"]) as http:
        resent = http.post(f"/v1/lead-batches/{batch_id}/resend")
    assert resent.status_code == 200, resent.text
    outcome = resent.json()
    assert outcome["state"] == "done"
    [again] = outcome["outcomes"]
    assert (again["batch_id"], again["checksum"]) == (batch_id, checksum)
    # Back in the bucket, and byte for byte the document the API shows as stored.
    body = s3.get_object(Bucket=api.s3_bucket, Key=bucket_key(batch_id))["Body"].read()
    assert json.loads(body) == file_batch["document"]
    emitted = poll(lambda: query(api, "SELECT * FROM audit.audit_log WHERE batch_id = $1 AND "
                                      "event_type = 'handoff_emitted' ORDER BY seq", batch_id),
                   lambda rows: len(rows) >= 2, 60)
    assert len(emitted) == 2 and {e["checksum"] for e in emitted} == {emitted[0]["checksum"]}
    assert emitted[1]["occurred_at"] > emitted[0]["occurred_at"]
    asked = query(api, "SELECT resend_batch_id, requested_by, status FROM "
                       "execution.export_commands WHERE command_id = $1", outcome["command_id"])
    assert [(r["resend_batch_id"], r["status"]) for r in asked] == [(batch_id, "done")]
    assert keys["export"]["id"] in asked[0]["requested_by"], "who asked is recorded"


def test_a_resend_of_an_unknown_batch_is_404_and_needs_the_export_scope(
        api, keys, file_batch) -> None:
    with client(api, keys["export"]["key"]) as http:
        unknown = http.post(f"/v1/lead-batches/{uuid.uuid4()}/resend")
    assert unknown.status_code == 404 and unknown.json()["detail"]
    with client(api, keys["read"]["key"]) as http:
        refused = http.post(f"/v1/lead-batches/{file_batch['batch_id']}/resend")
    assert refused.status_code == 403


def test_over_the_limits_a_key_gets_413_and_429_with_retry_after(api, keys) -> None:
    restart_service(api, "api", SXP_API_MAX_BODY_BYTES="2048", SXP_API_RATE_PER_S="0.2",
                    SXP_API_RATE_BURST="4")
    try:
        wait_ready(api)
        with client(api, keys["ingest"]["key"]) as http:
            big = json.dumps([{"platform": "x", "username": f"user{i}"} for i in range(200)])
            assert http.post("/v1/profiles", content=big.encode(),
                             headers={"Content-Type": "application/json"}).status_code == 413
            answers = [http.get("/v1/audience-pools") for _ in range(6)]
        limited = [a for a in answers if a.status_code == 429]
        assert limited and int(limited[0].headers["Retry-After"]) >= 1
    finally:
        restart_service(api, "api", SXP_API_MAX_BODY_BYTES="", SXP_API_RATE_PER_S="",
                        SXP_API_RATE_BURST="")
        wait_ready(api)


def test_an_unknown_path_or_method_is_not_a_server_error(api) -> None:
    assert httpx.get(f"http://127.0.0.1:{api.api_port}/v2/nothing").status_code == 404

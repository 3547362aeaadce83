"""The HTTP API end to end: keys made with the CLI, profiles published over HTTP through the
real pipeline, lead cards paged, enrichment asked of the gate, batches re-sent.

Nothing is inserted by hand: every card here came from a POST /v1/profiles.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

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
    with client(api, keys["read"]["key"]) as http:
        cards = all_pages(http, "/v1/lead-cards", limit=97)
    ids = [c["id"] for c in cards]
    assert len(ids) == len(set(ids)), "a card came twice"
    assert set(ids) == {str(r["lead_card_id"]) for r in
                        query(api, "SELECT lead_card_id FROM execution.lead_cards")}
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
                     "WHERE job_id = $1 LIMIT 1", job["accepted"]["job_id"])[0]
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


def test_batches_page_show_their_document_and_resend_with_the_same_checksum(
        api, keys, job) -> None:
    # On the file transport: a queue batch sent again would be on the topic twice, which the
    # handoff tests rightly refuse to see.
    exported = sxp("export", "--transport", "file", "--json")
    assert exported.returncode == 0, exported.stderr
    with client(api, keys["export"]["key"]) as http:
        batches = poll(lambda: all_pages(http, "/v1/lead-batches", transport="file"),
                       lambda found: len(found) > 0, 120)
        queued = all_pages(http, "/v1/lead-batches", transport="queue", limit=500)
        assert all(b["transport"] == "queue" for b in queued)
        first = http.get(f"/v1/lead-batches/{batches[0]['batch_id']}").json()
        resent = http.post(f"/v1/lead-batches/{first['batch_id']}/resend")
    assert first["checksum"] == batches[0]["checksum"] and first["document"]
    assert first["lead_card_ids"]
    assert resent.status_code == 200, resent.text
    outcome = resent.json()
    assert outcome["state"] == "done"
    assert [o["checksum"] for o in outcome["outcomes"]] == [first["checksum"]]


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

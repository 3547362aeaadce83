"""`/v1/audiences` end to end: audiences made, changed, qualified and deleted through the HTTP
API hold the cards `sxp audience` and a hand-written query hold for the same criteria, every
change goes through the audience service (its versions and audit events name the key), and
the API's refusals (401, 403, 404, 409, 412, 422, 428) change nothing.

The module publishes fresh profiles of its own (handles with "audp" in front, a marker word
in some bios); every membership assertion is scoped to this module's cards, since other
modules share the stack. Its audiences are deleted by the last test.
"""

from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from tests.support.api import client, make_key, wait_ready
from tests.support.pipeline import (
    fresh_profiles,
    poll,
    publish_and_label,
    query,
    restart_service,
    scalar,
    sxp,
)

pytestmark = pytest.mark.e2e

MARKER = "audpimark"
MARKED, CREATORS = "e2e-api-aud-marker", "e2e-api-aud-creators"
CRITERIA = {MARKED: {"bio": MARKER}, CREATORS: {"persona": "creator", "followers": {"min": 1000}}}
BY_HAND = {
    MARKED: f"""SELECT c.lead_card_id FROM execution.lead_cards c
        JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
        WHERE p.bio ILIKE '%{MARKER}%'""",
    CREATORS: """SELECT c.lead_card_id FROM execution.lead_cards c
        JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
        WHERE c.persona = 'creator' AND p.followers >= 1000""",
}
# The update moves the marker audience to the marked creators.
UPDATED = {"all": [{"bio": MARKER}, {"persona": "creator"}]}
UPDATED_BY_HAND = BY_HAND[MARKED] + " AND c.persona = 'creator'"


def own(row: dict[str, Any]) -> dict[str, Any]:
    """The row with a handle no other module generates ("audp" in front)."""
    username = row.get("username")
    if isinstance(username, str) and re.fullmatch(r"@?[A-Za-z0-9._]+", username):
        row = {**row, "username": re.sub(r"^(@?)", r"\1audp", username)}
    return row


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {str(r["lead_card_id"]) for r in rows}


def api_members(http: httpx.Client, name: str, limit: int = 7) -> list[dict[str, Any]]:
    """Every member through the API, following next_cursor in small pages."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = http.get(f"/v1/audiences/{name}/members",
                        params={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        found.extend(page.json()["data"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


def cli(*args: str) -> Any:
    done = sxp("audience", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def world(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """This module's labeled cards, a key that may change audiences and one that may read."""
    services_up(test_stack, {})
    wait_ready(test_stack)
    rows = [r for r in map(own, fresh_profiles(test_stack, 400, seed=1477))
            if r.get("bio") and str(r["username"]).lstrip("@").startswith("audp")]
    for row in rows[:100]:
        row["bio"] = f"{row['bio']} {MARKER}"
    path = tmp_path_factory.mktemp("api-audiences") / "profiles.jsonl"
    write_jsonl(rows, path)
    report = publish_and_label(test_stack, path)
    scope = ids(query(test_stack, "SELECT lead_card_id FROM execution.lead_cards "
                                  "WHERE job_id = $1", report.job_id))
    assert len(scope) > 200
    return {"settings": test_stack, "scope": scope,
            "writer": make_key("audience", "read", name="e2e-audiences"),
            "reader": make_key("read", name="e2e-audiences-read")}


@pytest.fixture(scope="module")
def made(world: dict[str, Any]) -> dict[str, Any]:
    """The two audiences created through the API, and the same criteria through the CLI."""
    answers = {}
    with client(world["settings"], world["writer"]["key"]) as http:
        for name, criteria in CRITERIA.items():
            answers[name] = http.post("/v1/audiences", json={
                "name": name, "criteria": criteria, "description": "e2e: through the API"})
    for name, criteria in CRITERIA.items():
        cli("create", f"{name}-cli", "--criteria", json.dumps(criteria))
    return answers


def test_an_audience_created_through_the_api_holds_what_the_cli_and_a_hand_query_hold(
        world: dict[str, Any], made: dict[str, Any]) -> None:
    settings, scope = world["settings"], world["scope"]
    with client(settings, world["writer"]["key"]) as http:
        for name in CRITERIA:
            answer = made[name]
            assert answer.status_code == 201, answer.text
            body = answer.json()
            assert body["outcome"] == "created" and body["version"] == 1
            assert answer.headers["ETag"] == body["etag"]
            assert answer.headers["Location"] == f"/v1/audiences/{name}"
            through_api = api_members(http, name)
            assert len({m["lead_card_id"] for m in through_api}) == len(through_api)
            assert len(through_api) == body["members"]
            expected = ids(query(settings, BY_HAND[name])) & scope
            assert expected, f"{name}: the module's profiles should hold some"
            assert ids(through_api) & scope == expected
            through_cli = cli("members", f"{name}-cli", "--limit", "100000")
            assert ids(through_cli) == ids(through_api), name
            assert not {"email", "phone", "contact", "full_name"} & set(through_api[0])


def test_each_change_is_versioned_and_audited_by_the_audience_service_naming_the_key(
        world: dict[str, Any], made: dict[str, Any]) -> None:
    settings, key_id = world["settings"], world["writer"]["id"]
    audience_id = made[MARKED].json()["audience_id"]
    versions = query(settings, "SELECT version, action, changed_by FROM "
                               "audience.audience_versions WHERE audience_id = $1::uuid",
                     audience_id)
    assert [(v["version"], v["action"]) for v in versions] == [(1, "created")]
    assert json.loads(versions[0]["changed_by"])["requested_by"] == f"api_key:{key_id}"
    audited = poll(lambda: query(settings, "SELECT * FROM audit.audit_log WHERE batch_id = $1 "
                                           "AND event_type = 'audience_created'", audience_id),
                   lambda rows: len(rows) == 1, 60)
    assert len(audited) == 1 and f"api_key:{key_id}" in json.dumps(audited, default=str)


def test_list_show_and_size_read_what_sxp_audience_reads(world: dict[str, Any],
                                                       made: dict[str, Any]) -> None:
    with client(world["settings"], world["reader"]["key"]) as http:
        listed = {a["name"]: a for a in http.get("/v1/audiences").json()["data"]}
        shown = http.get(f"/v1/audiences/{MARKED}")
        size = http.get(f"/v1/audiences/{MARKED}/size").json()
    assert shown.status_code == 200
    detail, by_cli = shown.json(), cli("show", MARKED)
    assert shown.headers["ETag"] == detail["etag"] == listed[MARKED]["etag"]
    assert listed[MARKED]["created_by"] == f"api_key:{world['writer']['id']}"
    assert detail["criteria"] == by_cli["criteria"] == {"bio": [MARKER]}
    assert detail["criteria_hash"] == by_cli["criteria_hash"] == made[MARKED].json()[
        "criteria_hash"]
    assert [v["version"] for v in detail["versions"]] == [1]
    assert size["members"] == detail["members"] == by_cli["size"]["members"] == listed[
        MARKED]["members"]
    assert size["by_platform"] == by_cli["size"]["by_platform"]
    assert sum(size["by_platform"].values()) == size["members"]


def test_an_update_needs_the_current_etag_and_moves_exactly_the_cards_its_criteria_move(
        world: dict[str, Any], made: dict[str, Any]) -> None:
    settings, scope = world["settings"], world["scope"]
    path = f"/v1/audiences/{MARKED}"
    with client(settings, world["writer"]["key"]) as http:
        tag = http.get(path).headers["ETag"]
        body = {"criteria": UPDATED, "description": "marked creators"}
        assert http.patch(path, json=body).status_code == 428
        assert http.patch(path, json=body, headers={"If-Match": "*"}).status_code == 428
        stale = http.patch(path, json=body, headers={"If-Match": '"1-0000"'})
        assert stale.status_code == 412 and tag in stale.json()["detail"]
        done = http.patch(path, json=body, headers={"If-Match": tag})
        assert done.status_code == 200, done.text
        answer = done.json()
        assert answer["outcome"] == "updated" and answer["version"] == 2
        assert answer["etag"] == done.headers["ETag"] != tag
        expected = ids(query(settings, UPDATED_BY_HAND)) & scope
        assert ids(api_members(http, MARKED, limit=50)) & scope == expected
        assert answer["left"] == len(ids(query(settings, BY_HAND[MARKED])) - expected) > 0
        again = http.patch(path, json=body, headers={"If-Match": answer["etag"]})
        assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
        assert http.get(path).json()["version"] == 2


def test_qualifying_through_the_api_twice_scores_nothing_the_second_time(
        world: dict[str, Any], made: dict[str, Any]) -> None:
    with client(world["settings"], world["writer"]["key"]) as http:
        first = http.post(f"/v1/audiences/{CREATORS}/qualify")
        assert first.status_code == 200, first.text
        size = http.get(f"/v1/audiences/{CREATORS}").json()["members"]
        assert first.json()["scored"] + first.json()["cached"] == size > 0
        second = http.post(f"/v1/audiences/{CREATORS}/qualify", json={}).json()
        assert second["outcome"] == "qualified" and second["scored"] == 0
        assert second["cached"] == size
        scores = [m["score"] for m in api_members(http, CREATORS, limit=500)]
        assert all(s is not None and 0 <= s <= 1 for s in scores)
        assert http.get(f"/v1/audiences/{CREATORS}").json()["qualified"] == size


def test_of_two_changes_sent_at_once_with_one_etag_exactly_one_is_applied(
        world: dict[str, Any], made: dict[str, Any]) -> None:
    path = f"/v1/audiences/{CREATORS}"
    with client(world["settings"], world["writer"]["key"]) as http:
        before = http.get(path)
        tag, version = before.headers["ETag"], before.json()["version"]

    def change(text: str) -> httpx.Response:
        with client(world["settings"], world["writer"]["key"]) as own_http:
            return own_http.patch(path, json={"description": text}, headers={"If-Match": tag})

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(change, ["racer one", "racer two"]))
    assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
    won = next(a for a in answers if a.status_code == 200).json()
    with client(world["settings"], world["writer"]["key"]) as http:
        after = http.get(path).json()
    assert won["version"] == after["version"] == version + 1
    assert after["description"] in ("racer one", "racer two")
    assert after["description"] == next(text for text, a in zip(
        ["racer one", "racer two"], answers, strict=True) if a.status_code == 200)


def test_refusals_answer_401_403_404_409_422_and_send_nothing(world: dict[str, Any],
                                                             made: dict[str, Any]) -> None:
    settings = world["settings"]
    count = "SELECT count(*) FROM audience.command_answers"
    before = scalar(settings, count)
    with client(settings, None) as anonymous:
        assert anonymous.get("/v1/audiences").status_code == 401
        assert anonymous.post("/v1/audiences", json={}).status_code == 401
        assert anonymous.delete(f"/v1/audiences/{MARKED}").status_code == 401
    with client(settings, world["reader"]["key"]) as reader:
        assert reader.get(f"/v1/audiences/{MARKED}/members").status_code == 200
        new = {"name": "e2e-api-aud-never", "criteria": {"platform": "x"}}
        assert reader.post("/v1/audiences", json=new).status_code == 403
        assert reader.post(f"/v1/audiences/{MARKED}/qualify").status_code == 403
        assert reader.delete(f"/v1/audiences/{MARKED}").status_code == 403
    with client(settings, world["writer"]["key"]) as http:
        for method, suffix in (("GET", ""), ("GET", "/members"), ("GET", "/size"),
                               ("GET", "/report"), ("PATCH", ""), ("DELETE", ""),
                               ("POST", "/qualify")):
            kwargs = {"json": {}} if method == "PATCH" else {}
            answer = http.request(method, f"/v1/audiences/e2e-api-aud-none{suffix}", **kwargs)
            assert answer.status_code == 404, (method, suffix, answer.text)
            assert "e2e-api-aud-none" in answer.json()["detail"]
        bad = http.post("/v1/audiences", json={"name": "e2e-api-aud-bad",
                                               "criteria": {"colour": "red"}})
        assert bad.status_code == 422
        assert "unknown field or operator 'colour'" in bad.json()["detail"]
        assert "\n" not in bad.json()["detail"]
        tag = http.get(f"/v1/audiences/{CREATORS}").headers["ETag"]
        worse = http.patch(f"/v1/audiences/{CREATORS}", json={"criteria": {"followers": -1}},
                           headers={"If-Match": tag})
        assert worse.status_code == 422 and "criteria.followers" in worse.json()["detail"]
        malformed = http.post("/v1/audiences", json={"name": "Not A Name", "criteria": {}})
        assert malformed.status_code == 422 and isinstance(malformed.json()["detail"], list)
        again = http.post("/v1/audiences", json={"name": CREATORS, "criteria": {"platform": "x"}})
        assert again.status_code == 409
        page = http.get(f"/v1/audiences/{CREATORS}/members", params={"limit": 1}).json()
        other = http.get(f"/v1/audiences/{MARKED}/members",
                         params={"cursor": page["next_cursor"]})
        assert other.status_code == 400
    assert scalar(settings, count) == before, "no refusal reached the audience service"
    assert scalar(settings, "SELECT count(*) FROM audience.audiences WHERE name IN "
                            "('e2e-api-aud-never', 'e2e-api-aud-bad')") == 0


def test_past_the_answer_timeout_a_change_is_202_and_its_answer_is_read_by_request_id(
        world: dict[str, Any], made: dict[str, Any]) -> None:
    settings = world["settings"]
    restart_service(settings, "api", SXP_API_ANSWER_TIMEOUT_S="0")
    try:
        wait_ready(settings)
        with client(settings, world["writer"]["key"]) as http:
            queued = http.post(f"/v1/audiences/{CREATORS}/qualify")
            assert queued.status_code == 202, queued.text
            pending = queued.json()
            assert pending["state"] == "pending" and pending["action"] == "QUALIFY"
            path = f"/v1/audience-requests/{pending['request_id']}"
            answered = poll(lambda: http.get(path), lambda r: r.status_code == 200, 60)
            assert answered.status_code == 200, answered.text
            assert answered.json()["outcome"] == "qualified"
            assert answered.json()["scored"] == 0  # qualified before: every score cached
            assert http.get(f"/v1/audience-requests/{uuid.uuid4()}").status_code == 404
    finally:
        restart_service(settings, "api", SXP_API_ANSWER_TIMEOUT_S="")
        wait_ready(settings)


def test_deleting_through_the_api_removes_the_members_and_keeps_the_versions(
        world: dict[str, Any], made: dict[str, Any]) -> None:
    settings = world["settings"]
    with client(settings, world["writer"]["key"]) as http:
        for name in CRITERIA:
            audience_id = made[name].json()["audience_id"]
            tag = http.get(f"/v1/audiences/{name}").headers["ETag"]
            done = http.delete(f"/v1/audiences/{name}", headers={"If-Match": tag})
            assert done.status_code == 200, done.text
            assert done.json()["outcome"] == "deleted" and done.json()["members"] == 0
            assert http.get(f"/v1/audiences/{name}").status_code == 404
            assert scalar(settings, "SELECT count(*) FROM audience.members "
                                    "WHERE audience_id = $1::uuid", audience_id) == 0
            actions = [r["action"] for r in query(
                settings, "SELECT action FROM audience.audience_versions "
                          "WHERE audience_id = $1::uuid ORDER BY version", audience_id)]
            assert actions[0] == "created" and actions[-1] == "deleted"
            assert poll(lambda aid=audience_id: scalar(
                settings, "SELECT count(*) FROM audience.audiences a JOIN audit.audit_log l "
                          "ON l.batch_id = a.audience_id::text WHERE a.audience_id = $1::uuid "
                          "AND l.event_type = 'audience_deleted'", aid), lambda n: n == 1, 60)
            cli("delete", f"{name}-cli")
        assert {a["name"] for a in http.get("/v1/audiences").json()["data"]}.isdisjoint(
            {*CRITERIA, *(f"{n}-cli" for n in CRITERIA)})

"""`DELETE /v1/subjects/{platform}/{username}`: an admin erases a person through the
compliance service as `sxp forget` does; the subject must be written twice, so a request
made up from the OpenAPI document erases nobody."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from tests.support.api import client, make_key, wait_ready
from tests.support.pipeline import fresh_profiles, poll, publish_and_label, scalar

pytestmark = pytest.mark.e2e
STORED = "SELECT count(*) FROM social.raw_social_profiles WHERE platform = $1 AND username = $2"


@pytest.fixture(scope="module")
def person(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One of our profiles, stored and labeled through the pipeline."""
    services_up(test_stack, {})
    wait_ready(test_stack)
    rows = fresh_profiles(test_stack, 5, seed=67)
    path: Path = tmp_path_factory.mktemp("api-subjects") / "profiles.jsonl"
    write_jsonl(rows, path)
    publish_and_label(test_stack, path)
    row = rows[0]
    handle = row["username"].lstrip("@").lower()
    assert scalar(test_stack, STORED, row["platform"], handle) == 1
    return {"platform": row["platform"], "username": handle}


def test_a_key_without_the_admin_scope_cannot_erase(test_stack, person) -> None:
    key = make_key("read", "ingest", "enrich", "export", name="not-admin")["key"]
    with client(test_stack, key) as http:
        answer = http.delete(f"/v1/subjects/{person['platform']}/{person['username']}",
                             params={"confirm": f"{person['platform']}/{person['username']}"})
    assert answer.status_code == 403
    assert scalar(test_stack, STORED, person["platform"], person["username"]) == 1


def test_a_subject_not_repeated_in_confirm_is_not_erased(test_stack, person) -> None:
    key = make_key("admin", name="subjects-e2e")["key"]
    with client(test_stack, key) as http:
        wrong = http.delete(f"/v1/subjects/{person['platform']}/{person['username']}",
                            params={"confirm": f"{person['platform']}/someone_else"})
        missing = http.delete(f"/v1/subjects/{person['platform']}/{person['username']}")
    assert wrong.status_code == 400 and missing.status_code == 422
    assert scalar(test_stack, STORED, person["platform"], person["username"]) == 1


def test_an_admin_erases_the_person_and_can_read_the_answer_again(test_stack, person) -> None:
    key = make_key("admin", name="subjects-e2e")["key"]
    with client(test_stack, key) as http:
        answer = http.delete(f"/v1/subjects/{person['platform']}/@{person['username'].upper()}",
                             params={"confirm": f"{person['platform']}/{person['username']}"})
        assert answer.status_code in (200, 202), answer.text
        request_id = answer.json()["request_id"]
        again = poll(lambda: http.get(f"/v1/erasures/{request_id}"),
                     lambda r: r.status_code == 200, 60)
    assert again.status_code == 200, again.text
    erased = again.json()
    assert erased["state"] == "answered" and erased["erased"]["profiles"] == 1
    assert erased["erased"]["lead_cards"] == 1
    assert person["username"] not in again.text
    assert scalar(test_stack, STORED, person["platform"], person["username"]) == 0
    assert scalar(test_stack, "SELECT count(*) FROM compliance.suppressions "
                              "WHERE subject_hash = $1", erased["subject_hash"]) == 1

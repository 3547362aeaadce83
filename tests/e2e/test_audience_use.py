"""Using an audience end to end: made through `sxp audience create` (the command topic and
the audience service), then enriched and exported by audience, and its market report
rendered in headless Chromium with the database's numbers on the page.

Fresh profiles of this module only (handles with "audu" in front, a marker word in some bios);
every assertion is scoped to this module's cards.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from tests.support.api import client, make_key, wait_ready
from tests.support.pipeline import fresh_profiles, publish_and_label, query, scalar, sxp

pytestmark = pytest.mark.e2e
MARKER, NAME = "auduzmark", "e2e-aud-use"
CHROMIUM = shutil.which("chromium")


def own(row: dict[str, Any]) -> dict[str, Any]:
    username = row.get("username")
    if isinstance(username, str) and re.fullmatch(r"@?[A-Za-z0-9._]+", username):
        row = {**row, "username": re.sub(r"^(@?)", r"\1audu", username)}
    return row


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {str(r["lead_card_id"]) for r in rows}


@pytest.fixture(scope="module")
def world(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    services_up(test_stack, {})
    rows = [r for r in map(own, fresh_profiles(test_stack, 300, seed=1493))
            if r.get("bio") and str(r["username"]).lstrip("@").startswith("audu")]
    for row in rows[:120]:
        row["bio"] = f"{row['bio']} {MARKER}"
    path = tmp_path_factory.mktemp("audience-use") / "profiles.jsonl"
    write_jsonl(rows, path)
    report = publish_and_label(test_stack, path)
    scope = ids(query(test_stack, "SELECT lead_card_id FROM execution.lead_cards "
                                  "WHERE job_id = $1", report.job_id))
    done = sxp("audience", "create", NAME, "--criteria", json.dumps({"bio": MARKER}),
               "--description", "e2e: using an audience", "--json")
    assert done.returncode == 0, done.stderr
    audience = query(test_stack, "SELECT audience_id::text AS audience_id, criteria_hash "
                                 "FROM audience.audiences WHERE name = $1", NAME)[0]
    members = ids(query(test_stack, "SELECT lead_card_id FROM audience.members "
                                    "WHERE audience_id = $1::uuid", audience["audience_id"]))
    assert members and members <= scope and members != scope
    return {"settings": test_stack, "scope": scope, "members": members, **audience,
            "dir": tmp_path_factory.mktemp("report")}


def test_enriching_by_audience_takes_only_its_best_qualified_members(world) -> None:
    settings = world["settings"]
    assert sxp("audience", "qualify", NAME, "--json").returncode == 0
    done = sxp("enrich", "request", "--audience", NAME, "--top", "5", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["audience_id"] == world["audience_id"]
    assert answer["approved_count"] <= 5
    assert answer["approved_count"] + sum(answer["refused"].values()) > 0
    requested = ids(query(settings, "SELECT unnest(lead_card_ids) AS lead_card_id FROM "
                                    "enrichment.batches WHERE request_id = $1",
                          answer["request_id"]))
    assert len(requested) == answer["approved_count"]
    assert requested <= world["members"]
    unknown = sxp("enrich", "request", "--audience", "e2e-no-such-audience", "--top", "1")
    assert unknown.returncode == 2 and "no audience named" in unknown.stderr


def test_exporting_by_audience_hands_off_only_its_members(world) -> None:
    settings, scope, members = world["settings"], world["scope"], world["members"]
    done = sxp("export", "--transport", "file", "--audience", NAME, "--json")
    assert done.returncode == 0, done.stderr
    batches = json.loads(done.stdout)["batches"]
    assert batches and all(b["status"] == "delivered" for b in batches)
    documents = [json.loads(r["document"]) for r in query(
        settings, "SELECT document FROM execution.handoff_batches WHERE batch_id = "
                  "ANY($1::uuid[])", [b["batch_id"] for b in batches])]
    sent = {c["lead_card_id"] for d in documents for c in d["cards"]}
    assert {(d["audience_id"], d["criteria_hash"]) for d in documents} == {
        (world["audience_id"], world["criteria_hash"])}
    assert sent & scope and sent <= members
    others = ids(query(settings, "SELECT lead_card_id FROM execution.handoff_items WHERE "
                                 "transport = 'file' AND lead_card_id = ANY($1::uuid[])",
                       sorted(scope - members)))
    assert others == set()


def metrics(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="([^"]+)">([^<]*)<', page))


def expected_numbers(settings: Any, audience_id: str) -> dict[str, str]:
    total = scalar(settings, "SELECT count(*) FROM audience.members WHERE audience_id = "
                             "$1::uuid", audience_id)
    rows = query(settings, """SELECT c.platform, count(*) AS n FROM audience.members m
                              JOIN execution.lead_cards c USING (lead_card_id)
                              WHERE m.audience_id = $1::uuid GROUP BY 1""", audience_id)
    return {"members": str(total), **{f"platform:{r['platform']}": str(r["n"]) for r in rows}}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs "
                                             "Debian's chromium package)")
def test_the_report_rendered_in_chromium_shows_the_numbers_the_database_holds(world) -> None:
    settings, out = world["settings"], world["dir"] / "report.html"
    done = sxp("audience", "report", NAME, "--out", str(out))
    assert done.returncode == 0, done.stderr
    rendered = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={world['dir'] / 'chromium'}", "--dump-dom",
         out.as_uri()], capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    shown = metrics(rendered.stdout)
    expected = expected_numbers(settings, world["audience_id"])
    assert {k: shown.get(k) for k in expected} == expected
    assert shown["name"] == NAME and shown["criteria_hash"] == world["criteria_hash"]
    assert rendered.stdout.count("<svg") == 6


def test_the_api_serves_the_same_report(world) -> None:
    settings = world["settings"]
    wait_ready(settings)
    with client(settings, make_key("read", name="report")["key"]) as http:
        page = http.get(f"/v1/audiences/{NAME}/report")
        missing = http.get("/v1/audiences/e2e-no-such-audience/report")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    expected = expected_numbers(settings, world["audience_id"])
    assert {k: metrics(page.text).get(k) for k in expected} == expected
    assert missing.status_code == 404

"""`sxp replay labeler`: after a rule change, a replay relabels exactly the cards whose labels
change, only those go downstream again, and the replay is audited."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import instances, services_up
from sxp_cli.stats import kafka_stats
from tests.support.pipeline import fresh_profiles, poll, publish_and_label, query, scalar, sxp

pytestmark = pytest.mark.e2e
ON_QUEUE = """SELECT count(*) FROM execution.lead_cards c WHERE c.job_id = $1
    AND c.readiness IN ('LABELED', 'ENRICHED') AND c.enrichment_status <> 'REQUESTED'
    AND NOT EXISTS (SELECT 1 FROM execution.handoff_items i WHERE i.lead_card_id = c.lead_card_id
                    AND i.transport = 'queue' AND i.revision = c.revision)"""


def card_state(settings: Any, job_id: str) -> dict[str, tuple[str | None, int]]:
    return {r["id"]: (r["persona"], r["revision"]) for r in query(settings, """
        SELECT lead_card_id::text AS id, persona, revision FROM execution.lead_cards
         WHERE job_id = $1""", job_id)}


def queue_items(settings: Any, job_id: str) -> set[tuple[str, int]]:
    return {(r["id"], r["revision"]) for r in query(settings, """
        SELECT i.lead_card_id::text AS id, i.revision FROM execution.handoff_items i
          JOIN execution.lead_cards c USING (lead_card_id)
         WHERE c.job_id = $1 AND i.transport = 'queue'""", job_id)}


@pytest.fixture(scope="module")
def changed(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Our cards labeled and on the queue; then five of them as an older rule labeled them."""
    services_up(test_stack, {})
    path = tmp_path_factory.mktemp("replay") / "profiles.jsonl"
    write_jsonl(fresh_profiles(test_stack, 200, seed=43), path)
    job_id = publish_and_label(test_stack, path).job_id
    assert poll(lambda: scalar(test_stack, ON_QUEUE, job_id), lambda n: n == 0, 120) == 0
    labeled = {card: persona for card, (persona, _) in card_state(test_stack, job_id).items()
               if persona not in (None, "hobbyist")}
    stale = sorted(labeled)[:5]
    query(test_stack, "UPDATE execution.lead_cards SET persona = 'hobbyist' WHERE "
                      "lead_card_id = ANY($1::uuid[])", [uuid.UUID(c) for c in stale])
    # Written as the owner, the stale labels emit no event: nothing goes out until the replay.
    return {"job_id": job_id, "stale": stale, "labels": labeled,
            "before": card_state(test_stack, job_id), "queue": queue_items(test_stack, job_id)}


@pytest.fixture(scope="module")
def replayed(test_stack: Any, changed: dict[str, Any]) -> dict[str, Any]:
    result = sxp("replay", "labeler", "--from-beginning", "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert poll(lambda: asyncio.run(kafka_stats(test_stack))["lag"]["sxp-labeler"],
                lambda lag: lag == 0, 120) == 0
    stale = changed["stale"]
    poll(lambda: card_state(test_stack, changed["job_id"]),
         lambda now: all(now[c][0] == changed["labels"][c] for c in stale), 60)
    assert poll(lambda: scalar(test_stack, ON_QUEUE, changed["job_id"]), lambda n: n == 0,
                120) == 0
    return printed


def test_the_replay_re_reads_the_labelers_topic_and_restarts_it(test_stack, changed,
                                                                replayed) -> None:
    assert replayed["service"] == "labeler" and replayed["group"] == "sxp-labeler"
    assert replayed["topics"]["sxp.leadcards.structured.v1"] >= len(changed["before"])
    assert replayed["restarted"] == 1
    assert [i for i in instances(test_stack) if i.service == "labeler" and i.alive]


def test_only_the_cards_whose_labels_change_get_a_new_revision(test_stack, changed,
                                                               replayed) -> None:
    after = card_state(test_stack, changed["job_id"])
    for card, (persona, revision) in changed["before"].items():
        if card in changed["stale"]:
            assert after[card] == (changed["labels"][card], revision + 1)
        else:
            assert after[card] == (persona, revision), card


def test_only_those_cards_go_downstream_again(test_stack, changed, replayed) -> None:
    again = queue_items(test_stack, changed["job_id"]) - changed["queue"]
    after = card_state(test_stack, changed["job_id"])
    assert again == {(card, after[card][1]) for card in changed["stale"]}


def test_the_replay_is_audited(test_stack, replayed) -> None:
    rows = poll(lambda: query(test_stack, """SELECT actor_kind, details FROM audit.audit_log
                                             WHERE event_type = 'service_replayed'"""),
                lambda found: len(found) >= 1, 60)
    details = [r["details"] if isinstance(r["details"], dict) else json.loads(r["details"])
               for r in rows]
    assert any(d["service"] == "labeler" and d["from"] == "beginning" and
               int(d["records"]) == replayed["records"] for d in details)
    assert {r["actor_kind"] for r in rows} == {"cli"}

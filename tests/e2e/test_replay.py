"""`sxp replay labeler` after a rule change, as an operator makes one: our cards labeled with
the packaged rules; a rules directory that routes researchers as partners; the labeler
restarted on it (`sxp services up`) and replayed from the beginning. Exactly the cards whose
labels `sxp preview` says the change moves get a new revision and go downstream again; the
replay is audited; the packaged rules and a second replay put the labels back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from services.ingest.domain import partition_key
from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import instances, services_up
from sxp_cli.stats import kafka_stats
from sxp_common.topics import LEADCARDS_LABELED
from tests.support.pipeline import (
    decoded_topic,
    fresh_profiles,
    poll,
    publish_and_label,
    query,
    scalar,
    sxp,
)

pytestmark = pytest.mark.e2e
PACKAGED_RULES = Path(__file__).resolve().parents[2] / "services" / "labeler" / "rules"
LABELS = ("persona", "tribe", "industry", "execution_label", "audience_pool", "readiness")
ON_QUEUE = """SELECT count(*) FROM execution.lead_cards c WHERE c.job_id = $1
    AND c.readiness IN ('LABELED', 'ENRICHED') AND c.enrichment_status <> 'REQUESTED'
    AND NOT EXISTS (SELECT 1 FROM execution.handoff_items i WHERE i.lead_card_id = c.lead_card_id
                    AND i.transport = 'queue' AND i.revision = c.revision)"""


def card_state(settings: Any, job_id: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in query(settings, """
        SELECT lead_card_id::text AS id, execution_label, revision, labeled_at,
               label_evidence->>'model_version' AS model_version
          FROM execution.lead_cards WHERE job_id = $1""", job_id)}


def queue_items(settings: Any, job_id: str) -> set[tuple[str, int]]:
    return {(r["id"], r["revision"]) for r in query(settings, """
        SELECT i.lead_card_id::text AS id, i.revision FROM execution.handoff_items i
          JOIN execution.lead_cards c USING (lead_card_id)
         WHERE c.job_id = $1 AND i.transport = 'queue'""", job_id)}


def announced(settings: Any, job_id: str) -> int:
    return sum(1 for r in decoded_topic(settings, LEADCARDS_LABELED) if r["job_id"] == job_id)


def previewed(path: Path, **env: str) -> dict[str, dict[str, Any]]:
    """`sxp preview` of the file: each card's labels, as a user sees them before a replay."""
    result = sxp("preview", str(path), **env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {r["lead_card"]["lead_card_id"]: r["lead_card"] for r in rows if "lead_card" in r}


def researchers_as_partners(folder: Path) -> Path:
    """An operator's rules directory: personas.tsv with researchers routed as PARTNER."""
    folder.mkdir(parents=True, exist_ok=True)
    packaged = (PACKAGED_RULES / "personas.tsv").read_text(encoding="utf-8")
    changed = packaged.replace("\nresearcher\tFEEDBACK\t", "\nresearcher\tPARTNER\t")
    assert changed != packaged
    (folder / "personas.tsv").write_text(changed, encoding="utf-8")
    return folder


def one_copy_each(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first row of each identity, so each card's stored content is the row previewed."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        key = partition_key(row.get("platform"), row.get("username"))
        if key is None or key not in seen:
            kept.append(row)
            seen.add(key or "")
    return kept


def replay_labeler(settings: Any, job_id: str, **env: str) -> dict[str, Any]:
    result = sxp("replay", "labeler", "--from-beginning", "--json", **env)
    assert result.returncode == 0, result.stderr
    assert poll(lambda: asyncio.run(kafka_stats(settings))["lag"]["sxp-labeler"],
                lambda lag: lag == 0, 180) == 0
    assert poll(lambda: scalar(settings, ON_QUEUE, job_id), lambda n: n == 0, 120) == 0
    return dict(json.loads(result.stdout))


def labeler_pid(settings: Any) -> int | None:
    return next(i.pid for i in instances(settings) if i.service == "labeler" and i.alive)


@pytest.fixture(scope="module")
def changed(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Our cards labeled and on the queue; the rules changed; what preview says it moves."""
    services_up(test_stack, {})
    folder = tmp_path_factory.mktemp("replay")
    path = folder / "profiles.jsonl"
    write_jsonl(one_copy_each(fresh_profiles(test_stack, 200, seed=43)), path)
    job_id = publish_and_label(test_stack, path).job_id
    assert poll(lambda: scalar(test_stack, ON_QUEUE, job_id), lambda n: n == 0, 120) == 0
    rules = researchers_as_partners(folder / "rules")
    old, new = previewed(path), previewed(path, SXP_LABELER_RULES_DIR=str(rules))
    moved = {card for card in old if any(old[card][k] != new[card][k] for k in LABELS)}
    state = {"job_id": job_id, "rules": rules, "old": old, "new": new, "moved": moved,
             "before": card_state(test_stack, job_id), "queue": queue_items(test_stack, job_id),
             "announced": announced(test_stack, job_id), "labeler_pid": labeler_pid(test_stack),
             "reverted": False}
    yield state
    if not state["reverted"]:  # a failed test must not leave the changed rules running
        assert sxp("services", "up").returncode == 0
        replay_labeler(test_stack, job_id)


@pytest.fixture(scope="module")
def replayed(test_stack: Any, changed: dict[str, Any]) -> dict[str, Any]:
    env = {"SXP_LABELER_RULES_DIR": str(changed["rules"])}
    up = sxp("services", "up", **env)
    assert up.returncode == 0, up.stderr
    restarted = labeler_pid(test_stack)
    printed = replay_labeler(test_stack, changed["job_id"], **env)
    moved = changed["moved"]
    poll(lambda: card_state(test_stack, changed["job_id"]),
         lambda now: all(now[c]["revision"] > changed["before"][c]["revision"] for c in moved),
         60)
    return {**printed, "restarted_pid": restarted}


def test_the_rule_change_moves_a_few_cards_and_leaves_the_rest(changed) -> None:
    moved, old, new = changed["moved"], changed["old"], changed["new"]
    assert set(old) == set(changed["before"])  # preview and the pipeline made the same cards
    assert 1 <= len(moved) <= len(old) // 10, len(moved)
    assert {old[c]["persona"]["id"] for c in moved} == {"researcher"}
    assert {(old[c]["execution_label"]["id"], new[c]["execution_label"]["id"])
            for c in moved} == {("FEEDBACK", "PARTNER")}
    assert len({v["label_model_version"] for v in old.values()}) == 1
    assert next(iter(old.values()))["label_model_version"] != next(iter(
        new.values()))["label_model_version"]


def test_services_up_restarts_the_labeler_on_the_operators_rules(test_stack, changed,
                                                                 replayed) -> None:
    assert replayed["restarted_pid"] != changed["labeler_pid"]
    status = sxp("services", "status", "--json",
                 SXP_LABELER_RULES_DIR=str(changed["rules"]))
    labeler = [i for i in json.loads(status.stdout) if i["service"] == "labeler"]
    assert labeler and all(i["current_code"] for i in labeler)


def test_the_replay_re_reads_the_labelers_topic_and_restarts_it(test_stack, changed,
                                                                replayed) -> None:
    assert replayed["service"] == "labeler" and replayed["group"] == "sxp-labeler"
    assert replayed["topics"]["sxp.leadcards.structured.v1"] >= len(changed["before"])
    assert replayed["restarted"] == 1
    assert [i for i in instances(test_stack) if i.service == "labeler" and i.alive]


def test_only_the_cards_the_change_moves_get_a_new_revision(test_stack, changed,
                                                            replayed) -> None:
    after = card_state(test_stack, changed["job_id"])
    new_version = next(iter(changed["new"].values()))["label_model_version"]
    for card, before in changed["before"].items():
        if card in changed["moved"]:
            assert after[card]["revision"] == before["revision"] + 1, card
            assert after[card]["execution_label"] == changed["new"][card]["execution_label"]["id"]
            assert after[card]["model_version"] == new_version
        else:  # not even written: same revision, same labeled_at, the old model version
            assert after[card] == before, card


def test_only_those_cards_go_downstream_again(test_stack, changed, replayed) -> None:
    again = queue_items(test_stack, changed["job_id"]) - changed["queue"]
    after = card_state(test_stack, changed["job_id"])
    assert again == {(card, after[card]["revision"]) for card in changed["moved"]}
    assert announced(test_stack, changed["job_id"]) == changed["announced"] + len(
        changed["moved"])


def test_the_replay_is_audited(test_stack, replayed) -> None:
    rows = poll(lambda: query(test_stack, """SELECT actor_kind, details FROM audit.audit_log
                                             WHERE event_type = 'service_replayed'"""),
                lambda found: len(found) >= 1, 60)
    details = [r["details"] if isinstance(r["details"], dict) else json.loads(r["details"])
               for r in rows]
    assert any(d["service"] == "labeler" and d["from"] == "beginning" and
               int(d["records"]) == replayed["records"] for d in details)
    assert {r["actor_kind"] for r in rows} == {"cli"}


def test_the_packaged_rules_and_a_second_replay_put_the_labels_back(test_stack, changed,
                                                                    replayed) -> None:
    changed["reverted"] = True
    assert sxp("services", "up").returncode == 0
    replay_labeler(test_stack, changed["job_id"])
    after = card_state(test_stack, changed["job_id"])
    for card, before in changed["before"].items():
        if card in changed["moved"]:
            assert after[card]["revision"] == before["revision"] + 2, card
            assert (after[card]["execution_label"], after[card]["model_version"]) == (
                before["execution_label"], before["model_version"])
        else:
            assert after[card] == before, card

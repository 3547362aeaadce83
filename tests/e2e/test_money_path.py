"""The money path end to end: a card enriched after its first export reaches the downstream
topic at its enriched revision, with its contact fields, once; read by the reference consumer.

Nothing here is inserted by hand: profiles are published, labeled, exported by the exporter
service, enriched through the gate and the adapter against the sandbox providers, and exported
again, as a user's run of `make demo` does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from tests.support.pipeline import fresh_profiles, poll, publish_and_label, query, scalar, sxp

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
JOB: dict[str, str] = {}  # the job the module published
# Cards of a job, ready on the queue, whose current revision has not gone out there.
BEHIND_ON_QUEUE = """SELECT count(*) FROM execution.lead_cards c
WHERE c.job_id = $1 AND c.readiness IN ('LABELED', 'ENRICHED') AND c.enrichment_status <>
'REQUESTED'
  AND NOT EXISTS (SELECT 1 FROM execution.handoff_items i WHERE i.lead_card_id = c.lead_card_id
                  AND i.transport = 'queue' AND i.revision >= c.revision)"""


def reference_consumer(settings: Any, latest: Path) -> list[dict[str, Any]]:
    """Run examples/lead_batch_consumer.py over the topic; its reports, and its latest cards
    file."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "lead_batch_consumer.py"), "--bootstrap",
         settings.kafka_bootstrap, "--contracts", str(ROOT / "contracts"), "--until-end",
         "--latest", str(latest)],
        capture_output=True, text=True, timeout=180, cwd="/")
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


@pytest.fixture(scope="module")
def enriched(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Profiles labeled and exported on the queue, then enriched through the gate and adapter."""
    services_up(test_stack, {})
    JOB["since"] = datetime.now(UTC).isoformat()
    path = tmp_path_factory.mktemp("money") / "profiles.jsonl"
    write_jsonl(fresh_profiles(test_stack, 600, seed=91), path)
    job_id = publish_and_label(test_stack, path).job_id
    assert poll(lambda: scalar(test_stack, BEHIND_ON_QUEUE, job_id), lambda n: n == 0, 120) == 0
    result = sxp("enrich", "request", "--label", "PARTNER", "--label", "AFFILIATE", "--json")
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    assert request["approved_count"] > 0, request
    open_batches = poll(lambda: scalar(test_stack, """SELECT count(*) FROM enrichment.batches
                                                      WHERE request_id = $1 AND status =
                                                      'requested'""",
                                       request["request_id"]), lambda n: n == 0, 180)
    assert open_batches == 0, "the adapter did not settle every batch"
    assert poll(lambda: scalar(test_stack, BEHIND_ON_QUEUE, job_id), lambda n: n == 0, 120) == 0
    JOB["id"], JOB["request"] = job_id, request["request_id"]
    return test_stack


# Only the cards of this module's request: other modules on the shared stack enrich (or
# hand-make) cards of their own, in any order.
OUR_REQUEST = """c.lead_card_id IN (SELECT unnest(lead_card_ids) FROM enrichment.batches
                                     WHERE request_id = $1)"""


def test_cards_enriched_after_their_first_export_reach_the_queue_with_their_contact(
    enriched, tmp_path
) -> None:
    cards = query(enriched, """
        SELECT c.lead_card_id::text AS id, c.revision, ct.email, ct.full_name,
               (SELECT min(i.revision) FROM execution.handoff_items i
                WHERE i.lead_card_id = c.lead_card_id AND i.transport = 'queue') AS first_sent
        FROM execution.lead_cards c JOIN contact.contacts ct ON ct.contact_id = c.contact_id
        WHERE c.enrichment_status = 'ENRICHED' AND """ + OUR_REQUEST, JOB["request"])
    assert cards, "no card was enriched"
    # Labeled cards went out at label time; cards that only became ready when enriched did not.
    assert any(c["first_sent"] < c["revision"] for c in cards), \
        "expected cards exported before enrichment"
    latest_file = tmp_path / "latest.jsonl"
    reference_consumer(enriched, latest_file)
    latest = {c["lead_card_id"]: c for c in map(json.loads, latest_file.read_text().splitlines())}
    for card in cards:
        seen = latest[card["id"]]
        assert seen["revision"] == card["revision"], card["id"]
        assert seen["readiness"] == "ENRICHED" and seen["enrichment_status"] == "ENRICHED"
        assert seen["contact"]["email"] == card["email"]
        assert seen["contact"]["full_name"] == card["full_name"]


def test_no_batch_id_is_on_the_topic_twice_even_when_sxp_export_asks_too(enriched,
                                                                         tmp_path) -> None:
    result = sxp("export", "--transport", "queue", "--json")
    assert result.returncode == 0, result.stderr
    reports = reference_consumer(enriched, tmp_path / "latest.jsonl")
    assert reports and all(r["verified"] for r in reports)
    repeated = [batch for batch, n in Counter(r["batch_id"] for r in reports).items() if n > 1]
    assert repeated == []
    # Our job's cards in batches made since it started: other modules on this shared stack
    # truncate tables between their runs, which starts the same card ids at revision 1 again.
    ours = {r["id"] for r in query(enriched,
                                   "SELECT lead_card_id::text AS id FROM execution.lead_cards "
                                             "WHERE job_id = $1", JOB["id"])}
    sent = Counter((card, revision) for r in reports if r["created_at"] >= JOB["since"]
                   for card, revision in zip(r["lead_card_ids"], r["revisions"],
                                             strict=True) if card in ours)
    assert sent and max(sent.values()) == 1, "a card went out twice at one revision"


def test_every_enriched_card_has_requested_started_and_completed_in_its_trail(enriched) -> None:
    ids = [r["id"] for r in query(enriched,
                                  """SELECT lead_card_id::text AS id FROM execution.lead_cards c
                                     WHERE enrichment_status = 'ENRICHED' AND """ + OUR_REQUEST,
                                  JOB["request"])]
    assert ids, "no card of our request was enriched"
    wanted = {"enrichment_requested", "enrichment_started", "enrichment_completed",
              "handoff_emitted"}

    def trail_types() -> dict[str, set[str]]:
        rows = query(enriched, """SELECT event_type, lead_card_ids FROM audit.audit_log
                                  WHERE event_type = ANY($1::text[])""", sorted(wanted))
        found: dict[str, set[str]] = {card: set() for card in ids}
        for row in rows:
            for card in json.loads(row["lead_card_ids"]):
                if card in found:
                    found[card].add(row["event_type"])
        return found

    found = poll(trail_types, lambda f: all(types == wanted for types in f.values()), 60)
    missing = {card: sorted(wanted - types) for card, types in found.items() if types != wanted}
    assert missing == {}

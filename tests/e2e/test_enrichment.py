"""Enrich on demand against the sandbox providers over real HTTP, real Kafka and Postgres."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from services.enrichment_gate.domain import load_policy
from sxp_cli.demo_steps import run_enrichment
from sxp_cli.enrich_cmd import build_command
from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from sxp_common.kafka import Outgoing, outgoing, read_topic
from sxp_common.topics import ENRICHMENT_COMMANDS, ENRICHMENT_REQUESTED
from tests.support.pipeline import fresh_profiles, poll, publish_and_label, query, scalar, send, sxp

pytestmark = pytest.mark.e2e


def adapter_lag(settings: Any) -> int:
    from sxp_cli.stats import kafka_stats

    return asyncio.run(kafka_stats(settings))["lag"]["sxp-adapter"]


def ledger_state(settings: Any) -> tuple[int, int, int]:
    return (scalar(settings, "SELECT count(*) FROM enrichment.ledger"),
            scalar(settings, "SELECT count(*) FROM enrichment.batches"),
            scalar(settings, "SELECT count(*) FROM contact.provider_responses"))


@pytest.fixture(scope="module")
def labeled_cards(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """800 more profiles published and labeled, with every service running."""
    services_up(test_stack, {})
    path = tmp_path_factory.mktemp("enrich") / "profiles.jsonl"
    write_jsonl(fresh_profiles(test_stack, 800, seed=21), path)
    publish_and_label(test_stack, path)
    return test_stack


def card_statuses(settings: Any) -> dict[str, int]:
    return {r["s"]: r["n"] for r in query(settings, """SELECT enrichment_status AS s,
                                                       count(*) AS n
                                                       FROM execution.lead_cards GROUP BY 1""")}


def test_a_dry_run_shows_the_decision_and_spends_nothing(labeled_cards) -> None:
    before, statuses = ledger_state(labeled_cards), card_statuses(labeled_cards)
    result = sxp("enrich", "request", "--label", "PARTNER", "--label", "AFFILIATE", "--dry-run",
                 "--json")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["dry_run"] is True and decision["approved_count"] > 0
    assert all(b["size"] <= 250 for b in decision["batches"])
    assert ledger_state(labeled_cards) == before
    assert card_statuses(labeled_cards) == statuses  # no card marked REQUESTED
    # the gate answered it (recorded as an answer, not as a request)
    request_id = decision["request_id"]
    assert scalar(labeled_cards, "SELECT kind FROM enrichment.command_answers WHERE "
                                 "request_id = $1", request_id) == "DRY_RUN"
    assert scalar(labeled_cards, "SELECT count(*) FROM enrichment.requests WHERE "
                                 "request_id = $1", request_id) == 0


def test_a_disallowed_label_is_refused_with_its_reason(labeled_cards) -> None:
    result = sxp("enrich", "request", "--label", "USER", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "refused" and answer["approved_count"] == 0
    assert answer["refused"].get("label_not_allowed", 0) > 0


@pytest.fixture(scope="module")
def enriched(labeled_cards: Any) -> dict[str, Any]:
    """One request for the policy's allowed labels, every batch of it settled."""
    return run_enrichment(labeled_cards, list(load_policy().allowed_labels))


def test_enrichment_creates_tier2_only_for_allowed_labels_within_budget(labeled_cards,
                                                                         enriched) -> None:
    policy, result = load_policy(), enriched
    assert result["approved"] > 0 and result["enriched"] > 0
    assert result["enriched"] + result["failed"] == result["cards"] == result["approved"]
    assert result["settled_usd"] <= result["reserved_usd"] <= policy.budget_per_request_usd
    wrong_tier = scalar(labeled_cards, """
        SELECT count(*) FROM contact.contacts t JOIN execution.lead_cards c USING (lead_card_id)
        WHERE c.execution_label <> ALL($1::text[]) OR c.enrichment_status <> 'ENRICHED'""",
        list(policy.allowed_labels))
    assert wrong_tier == 0
    enriched_with_contact = scalar(labeled_cards, f"""SELECT count(*) FROM {REQUEST_CARDS}
                                                     WHERE enrichment_status = 'ENRICHED' AND
                                                     contact_id IS NOT NULL""",
                                   result["request_id"])
    assert enriched_with_contact == result["enriched"]


# The lead cards of one request's batches.
REQUEST_CARDS = """(SELECT c.* FROM execution.lead_cards c JOIN enrichment.batches b
                    ON c.lead_card_id = ANY(b.lead_card_ids) WHERE b.request_id = $1) AS cards"""


def test_every_enriched_card_has_requested_started_and_completed_audit_events(
    labeled_cards, enriched
) -> None:
    cards = query(labeled_cards, f"""SELECT lead_card_id::text AS id FROM {REQUEST_CARDS}
                                     WHERE enrichment_status = 'ENRICHED' LIMIT 20""",
                  enriched["request_id"])
    assert cards
    poll(lambda: scalar(labeled_cards,
                        "SELECT count(*) FROM audit.audit_log WHERE event_type = "
                        "'enrichment_completed'"),
         lambda n: n > 0, timeout_s=60)
    for card in cards:
        events = query(labeled_cards,
                       """SELECT event_type, occurred_at, actor_name, outcome FROM audit.audit_log
                                          WHERE lead_card_ids ? $1 ORDER BY seq""", card["id"])
        types = [e["event_type"] for e in events]
        for expected in ("enrichment_requested", "enrichment_approved", "enrichment_started",
                         "enrichment_completed"):
            assert expected in types, (card["id"], types)
        assert all(e["occurred_at"] and e["actor_name"] and e["outcome"] for e in events)


def test_a_redelivered_command_or_batch_charges_nothing_twice(labeled_cards, enriched) -> None:
    commands = [r for r in asyncio.run(read_topic(labeled_cards,
                                                  ENRICHMENT_COMMANDS))]
    batches = [r for r in asyncio.run(read_topic(labeled_cards,
                                                 ENRICHMENT_REQUESTED))]
    before = ledger_state(labeled_cards)
    send(labeled_cards,
         [Outgoing(r.topic, (r.key or b"").decode(), r.value or b"") for r in commands + batches])
    marker = build_command(["FEEDBACK"], None, None, None)
    send(labeled_cards, [outgoing(ENRICHMENT_COMMANDS, marker["request_id"], marker)])
    poll(lambda: scalar(labeled_cards,
                        "SELECT count(*) FROM enrichment.requests WHERE request_id = $1",
                        marker["request_id"]),
         lambda n: n == 1, timeout_s=60)
    # The marker command went through the gate after the redelivered ones; the adapter's
    # group is drained when its lag is zero, so any double spend would be visible now.
    poll(lambda: adapter_lag(labeled_cards), lambda n: n == 0, timeout_s=60)
    assert ledger_state(labeled_cards) == before


def test_no_contact_value_from_the_providers_appears_in_any_service_log(labeled_cards,
                                                                         enriched) -> None:
    values = query(labeled_cards, "SELECT email, phone FROM contact.contacts")
    secrets = {v for row in values for v in row.values() if v}
    assert secrets, "enrichment produced no contact values to look for"
    logs = Path(labeled_cards.home / "logs")
    text = "\n".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
    digits_only = {re.sub(r"\D", "", s) for s in secrets if "@" not in s}
    assert [s for s in secrets if s in text] == []
    phone_like = {re.sub(r"\D", "", m) for m in re.findall(r"\+?\d[\d\s().-]{5,}\d", text)}
    assert [d for d in digits_only if len(d) >= 7 and any(d in p for p in phone_like)] == []


def test_stats_show_tier2_only_for_allowed_labels_spend_in_budget_and_a_clean_tier1(
    labeled_cards, enriched
) -> None:
    result = sxp("stats", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    checks = stats["checks"]
    assert checks["tier2_contacts_by_execution_label"]
    assert checks["tier2_only_allowed_labels"] is True
    assert checks["within_budget"] is True and stats["spend_usd"] > 0
    assert checks["tier1_rows_scanned"] > 0 and checks["tier1_rows_with_contact_data"] == 0
    assert set(stats["spend_by_provider"]) <= {"apollo", "skiptrace"}

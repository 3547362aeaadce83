"""A service killed right after its commit, before it published, loses no event.

The fault hook (SXP_FAULT_AFTER_COMMIT) makes the armed services exit at their first commit
that staged events; the test restarts them unarmed, as an operator's restart would, and then
finds on the topics every profile, card, batch and audit event the database says exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sxp_cli.fixtures import generate_profiles, write_jsonl
from sxp_cli.processes import canonical_service, instances, services_up
from sxp_cli.publish import publish_file
from sxp_common.topics import LEAD_BATCH, LEADCARDS_LABELED, LEADCARDS_STRUCTURED, PROFILES_RAW
from tests.support.pipeline import decoded_topic, poll, query, restart_service, scalar

pytestmark = pytest.mark.e2e
ARMED = ("ingest", "card_factory", "labeler", "exporter")


def alive(settings: Any, service: str) -> bool:
    return any(i.alive for i in instances(settings) if i.service == canonical_service(service))


@pytest.fixture(scope="module")
def crashed_and_restarted(test_stack: Any,
                          tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """Publish with the armed services dying after their first commit; restart them unarmed."""
    import asyncio

    services_up(test_stack, {})
    for service in ARMED:
        restart_service(test_stack, service, SXP_FAULT_AFTER_COMMIT=",".join(ARMED))
    path = tmp_path_factory.mktemp("faults") / "profiles.jsonl"
    write_jsonl(generate_profiles(400, seed=57), path)
    report = asyncio.run(publish_file(path, test_stack))
    # Each armed service dies after its first commit; its events stay in the outbox, so the
    # next service sees nothing until the dead one is restarted (unarmed) and relays them.
    for service in ARMED:
        assert poll(lambda s=service: alive(test_stack, s), lambda up: not up, 120) is False, \
            f"{service} did not hit its fault hook"
        restart_service(test_stack, service)
    done = poll(lambda: scalar(test_stack, """
        SELECT count(*) FROM social.raw_social_profiles p
        LEFT JOIN execution.lead_cards c ON c.profile_id = p.profile_id
        WHERE p.job_id = $1 AND (c.lead_card_id IS NULL OR c.labeled_profile_version IS DISTINCT
        FROM p.version
                                 OR NOT EXISTS (SELECT 1 FROM execution.handoff_items i
                                                WHERE i.lead_card_id = c.lead_card_id AND
                                                i.transport = 'queue'
                                                  AND i.revision >= c.revision)
                                    AND c.readiness IN ('LABELED', 'ENRICHED'))""", report.job_id),
                lambda n: n == 0, 180)
    assert done == 0, "the pipeline did not catch up after the restarts"
    assert poll(lambda: scalar(test_stack, "SELECT count(*) FROM ops.outbox"), lambda n: n == 0,
                60) == 0
    return test_stack, report.job_id


def test_every_stored_profile_and_card_is_on_its_topic_after_a_crash_before_publish(
    crashed_and_restarted
) -> None:
    settings, job_id = crashed_and_restarted
    profiles = {r["id"] for r in query(settings, """SELECT profile_id::text AS id
                                                    FROM social.raw_social_profiles WHERE job_id =
                                                    $1""", job_id)}
    cards = {r["id"] for r in query(settings, """SELECT lead_card_id::text AS id
                                                 FROM execution.lead_cards WHERE job_id = $1""",
                                                 job_id)}
    assert profiles and len(cards) == len(profiles)
    assert profiles <= {r["profile_id"] for r in decoded_topic(settings, PROFILES_RAW)}
    assert cards <= {r["lead_card_id"] for r in decoded_topic(settings, LEADCARDS_STRUCTURED)}
    assert cards <= {r["lead_card_id"] for r in decoded_topic(settings, LEADCARDS_LABELED)}


def test_every_recorded_queue_batch_is_on_the_topic_and_audited(crashed_and_restarted) -> None:
    settings, _ = crashed_and_restarted
    recorded = {r["id"] for r in query(settings,
                                       """SELECT batch_id::text AS id FROM execution.handoff_batches
                                                    WHERE transport = 'queue' AND status =
                                                    'delivered'""")}
    on_topic = [b["batch_id"] for b in decoded_topic(settings, LEAD_BATCH)]
    assert recorded and recorded <= set(on_topic)

    def audited() -> set[str]:
        return {r["batch_id"] for r in query(settings, """SELECT batch_id FROM audit.audit_log
                                                          WHERE event_type = 'handoff_emitted'""")}

    assert recorded <= poll(audited, lambda found: recorded <= found, 60)


def test_the_fault_hook_really_fired_after_a_commit(crashed_and_restarted) -> None:
    settings, _ = crashed_and_restarted
    logs = Path(settings.home) / "logs"
    def fired(service: str) -> bool:
        lines = (logs / f"{canonical_service(service)}-1.log").read_text().splitlines()
        return any(json.loads(line).get("msg", "").startswith("fault hook")
                   for line in lines if line.startswith('{"ts"'))

    fired_in = [s for s in ARMED if fired(s)]
    assert sorted(fired_in) == sorted(ARMED)

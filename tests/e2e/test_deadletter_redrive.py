"""`sxp deadletter`: list what failed, send it back once its cause is fixed, and never loop."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from sxp_cli.processes import services_up
from sxp_cli.publish import build_submission
from sxp_cli.reader import InputRow, type_row
from sxp_common import avro
from sxp_common.kafka import Outgoing
from sxp_common.topics import COMPLIANCE_COMMANDS, DEADLETTER
from tests.support.pipeline import fresh_profiles, poll, query, scalar, send, sxp

pytestmark = pytest.mark.e2e


def listed(**filters: str) -> list[dict[str, Any]]:
    args = [a for k, v in filters.items() for a in (f"--{k}", v)]
    result = sxp("deadletter", "list", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def redrive(*args: str) -> dict[str, Any]:
    result = sxp("deadletter", "redrive", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def garbage(test_stack: Any) -> dict[str, Any]:
    """Bytes the compliance service cannot read, dead-lettered by it. (A topic no other module
    reads whole: the pipeline modules decode every record of theirs.)"""
    services_up(test_stack, {})
    marker = f"redrive-{uuid.uuid4()}"
    send(test_stack, [Outgoing(COMPLIANCE_COMMANDS, marker, b"\x00not avro " + marker.encode())])
    found = poll(lambda: [d for d in listed(service="compliance")
                          if d["id"].startswith(COMPLIANCE_COMMANDS) and d["redrive_of"] is None
                          and d["sha256"] == avro_free_sha(marker)], lambda f: len(f) == 1, 60)
    return found[0]


def avro_free_sha(marker: str) -> str:
    from sxp_common.audit import sha256_of

    return sha256_of(b"\x00not avro " + marker.encode())


def test_a_record_that_fails_again_comes_back_marked_and_is_not_sent_twice(garbage) -> None:
    first = redrive("--service", "compliance", "--reason", garbage["reason_code"])
    assert garbage["id"] in first["ids"] and first["sent"] == len(first["ids"])
    again = poll(lambda: [d for d in listed(service="compliance")
                          if d["redrive_of"] == garbage["id"]], lambda f: len(f) == 1, 60)
    assert again[0]["reason_code"] == garbage["reason_code"]
    assert again[0]["sha256"] == garbage["sha256"] and again[0]["id"] != garbage["id"]
    second = poll(lambda: redrive("--service", "compliance", "--dry-run"),
                  lambda r: garbage["id"] not in r["ids"], 60)
    assert again[0]["id"] not in second["ids"]
    assert second["skipped"]["failed_after_redrive"] >= 1
    assert second["skipped"]["already_redriven"] >= 1


def test_a_redrive_is_audited_with_the_ids_it_sent(test_stack, garbage) -> None:
    redrive("--service", "compliance")
    rows = poll(lambda: query(test_stack, """SELECT details FROM audit.audit_log
                                             WHERE event_type = 'deadletters_redriven'"""),
                lambda found: any(f"id:{garbage['id']}" in json.loads(r["details"])
                                  if isinstance(r["details"], str) else r["details"]
                                  for r in found), 60)
    assert rows


def test_a_dead_letter_whose_cause_is_fixed_is_processed(test_stack) -> None:
    # What an ingest of older code dead-lettered as unknown_schema: a valid submission. The
    # cause (the old code) is gone, so a redrive must land the profile in Tier 1.
    row = fresh_profiles(test_stack, 40, seed=47)[0]
    submission = build_submission(InputRow(1, type_row(row)), str(uuid.uuid4()), "redrive-test",
                                  datetime.now(UTC))
    letter = avro.encode(DEADLETTER, {
        "service": "ingest", "source_topic": submission.topic, "source_partition": 0,
        "source_offset": 10**12 + 7, "key": submission.key.encode(), "value": submission.value,
        "reason_code": "old_code_unknown_schema", "detail": "written by the test",
        "failed_at": datetime.now(UTC)})
    send(test_stack, [Outgoing(DEADLETTER, "test", letter)])
    poll(lambda: listed(reason="old_code_unknown_schema"), lambda f: len(f) == 1, 60)
    assert scalar(test_stack, "SELECT count(*) FROM social.raw_social_profiles WHERE "
                              "lower(username) = $1", row["username"].lstrip("@").lower()) == 0
    sent = redrive("--reason", "old_code_unknown_schema")
    assert sent["sent"] == 1
    assert poll(lambda: scalar(test_stack, "SELECT count(*) FROM social.raw_social_profiles "
                                           "WHERE lower(username) = $1",
                               row["username"].lstrip("@").lower()),
                lambda n: n == 1, 60) == 1

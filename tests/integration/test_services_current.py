"""`sxp services up` leaves current instances alone and restarts those of older code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sxp_cli.processes import code_fingerprint, instances, services_up
from tests.support.pipeline import sxp

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def pids(settings: Any) -> dict[tuple[str, int], int | None]:
    return {(i.service, i.index): i.pid for i in instances(settings) if i.alive}


def test_an_instance_started_from_other_code_is_restarted_and_the_rest_stay(test_stack) -> None:
    services_up(test_stack, {})
    before = pids(test_stack)
    code_file = test_stack.home / "run" / "services" / "labeler-1.code"
    code_file.write_text("0000000000000000")  # as if started before the last edit
    status = json.loads(sxp("services", "status", "--json").stdout)
    assert {(s["service"], s["current_code"]) for s in status if s["instance"] == 1
            and s["service"] in ("labeler", "ingest")} == {("labeler", False), ("ingest", True)}
    services_up(test_stack, {})
    after = pids(test_stack)
    assert after[("labeler", 1)] != before[("labeler", 1)]
    assert {k: v for k, v in after.items() if k != ("labeler", 1)} == {
        k: v for k, v in before.items() if k != ("labeler", 1)}
    assert code_file.read_text() == code_fingerprint()

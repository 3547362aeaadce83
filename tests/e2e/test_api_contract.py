"""The API's contract against the running service: it serves exactly the committed OpenAPI
document, and schemathesis, fuzzing every endpoint from that document, finds no server error
and no response outside its declared schema.

The fuzz is `tools/fuzz_api.py` (`make fuzz-api`), the command a new user runs, bounded here
so the suite stays fast: a few examples per endpoint, one worker, a fixed seed, no stateful
phase. The checks it leaves out, and why, are in its docstring.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sxp_cli.processes import services_up
from tests.support.api import base_url, wait_ready
from tests.support.pipeline import scalar, sxp

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "contracts" / "http" / "sxp-api.v1.json"


@pytest.fixture(scope="module")
def api(test_stack: Any) -> Any:
    """Every service running, the API ready."""
    services_up(test_stack, {})
    wait_ready(test_stack)
    return test_stack


def test_the_running_service_serves_exactly_the_committed_document(api) -> None:
    served = httpx.get(base_url(api) + "/openapi.json", timeout=30).json()
    assert served == json.loads(DOCUMENT.read_text())


def test_schemathesis_finds_no_server_error_and_no_schema_violation(api, tmp_path) -> None:
    # As a new user runs it (`make fuzz-api`): the tool makes an admin key with the CLI,
    # fuzzes every operation of the committed document and revokes the key.
    command = [sys.executable, str(ROOT / "tools" / "fuzz_api.py"), "--url", base_url(api),
               "--max-examples", "5", "--seed", "7"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=420, cwd=tmp_path)
    failures = result.stdout.split("FAILURES")[-1][:4000] if "FAILURES" in result.stdout else ""
    summary = result.stdout[-3000:] + result.stderr[-1000:]
    assert result.returncode == 0, failures + summary
    operations = sum(len(methods) for methods in json.loads(DOCUMENT.read_text())["paths"].values())
    assert f"{operations}/{operations}" in summary, "every operation of the document was tested"
    revoked = [k for k in json.loads(sxp("api-keys", "list", "--json").stdout)
               if k["name"] == "fuzz-api"]
    assert revoked and all(k["revoked_at"] for k in revoked), "the fuzz key is revoked after"
    # The fuzzer held an admin key and sent DELETE /v1/subjects/...: it erased nobody.
    assert scalar(api, "SELECT count(*) FROM compliance.erasures WHERE requested_by = ANY($1)",
                  [k["id"] for k in revoked]) == 0
    # It held the audience scope too: every audience version it asked for is of an audience
    # it created itself (PATCH and DELETE need an ETag it never read), and the tool deleted
    # those after it.
    fuzzers = [f"api_key:{k['id']}" for k in revoked]
    assert scalar(api, """SELECT count(*) FROM audience.audience_versions v
                          WHERE v.changed_by ->> 'requested_by' = ANY($1)
                            AND NOT EXISTS (SELECT 1 FROM audience.audience_versions c
                                WHERE c.audience_id = v.audience_id AND c.action = 'created'
                                  AND c.changed_by ->> 'requested_by' = ANY($1))""",
                  fuzzers) == 0, "the fuzz changed an audience it did not create"
    assert scalar(api, """SELECT count(*) FROM audience.audiences a
                          WHERE a.deleted_at IS NULL AND EXISTS (
                              SELECT 1 FROM audience.audience_versions c
                              WHERE c.audience_id = a.audience_id AND c.action = 'created'
                                AND c.changed_by ->> 'requested_by' = ANY($1))""",
                  fuzzers) == 0, "an audience the fuzz created is left behind"

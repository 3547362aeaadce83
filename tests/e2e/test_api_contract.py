"""The API's contract against the running service: it serves exactly the committed OpenAPI
document, and schemathesis, fuzzing every endpoint from that document, finds no server error
and no response outside its declared schema.

Bounded so the suite stays fast: a few examples per endpoint, one worker, a fixed seed, no
stateful phase (a request may take long on a loaded machine: a 10,000-profile POST is allowed).
Two checks are left out by design: `positive_data_acceptance` (an opaque cursor the API did
not make is a 400, and a body over the size limits a 413, though the schema cannot say so) and
`negative_data_rejection` (like `sxp publish`, a row that cannot be read is refused with its
reason inside a 202, not by failing the whole request).
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
from tests.support.api import base_url, make_key, wait_ready

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "contracts" / "http" / "sxp-api.v1.json"
EXCLUDED_CHECKS = "positive_data_acceptance,negative_data_rejection"


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
    key = make_key("admin", name="schemathesis")["key"]
    command = [sys.executable, "-m", "schemathesis.cli", "run", str(DOCUMENT),
               "--url", base_url(api), "--header", f"Authorization: Bearer {key}",
               "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS,
               "--max-examples", "5", "--workers", "1", "--seed", "7",
               "--phases", "examples,coverage,fuzzing", "--request-timeout", "180",
               "--max-response-time", "120"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=420, cwd=tmp_path)
    failures = result.stdout.split("FAILURES")[-1][:4000] if "FAILURES" in result.stdout else ""
    summary = result.stdout[-3000:]
    assert result.returncode == 0, failures + summary
    assert "13/13" in summary, "every operation of the document was tested"

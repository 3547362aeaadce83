"""Shared fixtures: a real local stack of its own for the integration and e2e tests.

The tests never touch the stack `make demo` uses: they run Kafka, Postgres and
the object store under .sxp/test on their own ports, start from empty data each
session, and stop everything at the end. The e2e modules share that stack and may run in
any order, alone or together: each publishes the data it asserts on and scopes its
assertions to it (its job, its request, its batches).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Services run in the pytest process print their metrics as JSON on stderr when it exits (the
# console exporter, a service's default); the test run keeps a quiet terminal. The tests that
# assert on metrics install an in-memory reader of their own (tests/e2e/test_tracing.py).
os.environ.setdefault("OTEL_METRICS_EXPORTER", "none")
# SXP_TEST_SLOT=N runs a second test stack beside the first (ports +N*1000, its own home).
SLOT = int(os.environ.get("SXP_TEST_SLOT", "0"))
OFFSET = SLOT * 1000
TEST_ENV = {
    "SXP_HOME": str(ROOT / ".sxp" / (f"test{SLOT}" if SLOT else "test")),
    "SXP_CACHE_DIR": str(ROOT / ".sxp" / "cache"),
    "SXP_KAFKA_BOOTSTRAP": f"127.0.0.1:{29092 + OFFSET}",
    "SXP_DATABASE_URL": f"postgresql://sxp:sxp@127.0.0.1:{55433 + OFFSET}/sxp",
    "SXP_STACK_POSTGRES": "local",
    "SXP_S3_ENDPOINT": f"http://127.0.0.1:{29500 + OFFSET}",
    "SXP_APOLLO_BASE_URL": f"http://127.0.0.1:{29100 + OFFSET}",
    "SXP_SKIPTRACE_BASE_URL": f"http://127.0.0.1:{29101 + OFFSET}",
    "SXP_EXPORT_API_URL": f"http://127.0.0.1:{29102 + OFFSET}/v1/lead-batches",
    # Below the ephemeral port range for every slot, so no client connection holds it by chance.
    "SXP_API_PORT": str(21080 + OFFSET),
    "SXP_LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="session")
def test_stack() -> Iterator[object]:
    """Start the test stack from empty data; yield its Settings; stop it afterwards."""
    from sxp_cli.processes import services_down
    from sxp_common.settings import Settings
    from sxp_stack.manager import stack_down, stack_up

    os.environ.update(TEST_ENV)
    settings = Settings()
    services_down(settings)
    stack_down(settings)
    shutil.rmtree(settings.home / "data", ignore_errors=True)
    shutil.rmtree(settings.home / "logs", ignore_errors=True)
    stack_up(settings)
    try:
        yield settings
    finally:
        services_down(settings)
        stack_down(settings)

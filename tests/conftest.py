"""Shared fixtures: a real local stack of its own for the integration and e2e tests.

The tests never touch the stack `make demo` uses: they run Kafka, Postgres and
the object store under .sxp/test on their own ports, start from empty data each
session, and stop everything at the end.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
    "SXP_LOG_LEVEL": "INFO",
}
# e2e modules share one stack. test_pipeline counts only its own job's rows and records, so it
# need not go first. Still order-bound, found by running the directory reversed:
# test_enrichment reads the day's budget and the whole Tier 2 (other modules spend and write
# both), and test_determinism truncates Tier 1 and the lead cards between its runs, so it is last.
E2E_ORDER = ("test_pipeline", "test_audit", "test_enrichment", "test_handoff", "test_tracing",
             "test_determinism")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run e2e modules in E2E_ORDER (others after them), keeping test order inside a module."""

    def rank(item: pytest.Item) -> tuple[int, int]:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        in_e2e = ".e2e." in (item.module.__name__ if item.module else "")
        order = E2E_ORDER.index(module) if module in E2E_ORDER else len(E2E_ORDER)
        return (1 if in_e2e else 0, order if in_e2e else 0)

    items.sort(key=rank)


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

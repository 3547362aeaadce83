"""The bench's own stack under .sxp/bench (ports 39092/55434/39500), started from empty data.

SXP_BENCH_PORT_OFFSET=N (or a bench's --port-offset N) shifts every port by N, so two
checkouts can run their benches side by side (e.g. 4000: 43092/59434/43500).

Every bench module imports this first: it puts the repository on sys.path (so the benches run
without an installed package) and points SXP_* at the bench stack, never at the dev stack.
SXP_BENCH_PORT_OFFSET=N (or a bench's --port-offset N) moves every port up by N, so two
checkouts can bench at once on one machine.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (str(ROOT), str(ROOT / "libs")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

PORT_OFFSET_ENV = "SXP_BENCH_PORT_OFFSET"


def bench_env(offset: int | None = None) -> dict[str, str]:
    """The SXP_* variables of the bench stack, ports shifted by `offset` (default: the
    SXP_BENCH_PORT_OFFSET variable, else 0)."""
    if offset is None:
        offset = int(os.environ.get(PORT_OFFSET_ENV, "0"))
    return {
        "SXP_HOME": str(ROOT / ".sxp" / "bench"),
        "SXP_CACHE_DIR": str(ROOT / ".sxp" / "cache"),
        "SXP_KAFKA_BOOTSTRAP": f"127.0.0.1:{39092 + offset}",
        "SXP_DATABASE_URL": f"postgresql://sxp:sxp@127.0.0.1:{55434 + offset}/sxp",
        "SXP_STACK_POSTGRES": "local",
        "SXP_S3_ENDPOINT": f"http://127.0.0.1:{39500 + offset}",
        "SXP_APOLLO_BASE_URL": f"http://127.0.0.1:{39100 + offset}",
        "SXP_SKIPTRACE_BASE_URL": f"http://127.0.0.1:{39101 + offset}",
        "SXP_EXPORT_API_URL": f"http://127.0.0.1:{39102 + offset}/v1/lead-batches",
        "SXP_LOG_LEVEL": "WARNING",
        PORT_OFFSET_ENV: str(offset),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "libs"), str(ROOT)]),
    }


def set_port_offset(offset: int | None) -> None:
    """Use `offset` (a bench's --port-offset) for every port; None keeps SXP_BENCH_PORT_OFFSET."""
    if offset is not None:
        os.environ[PORT_OFFSET_ENV] = str(offset)


def bench_settings(offset: int | None = None) -> Any:
    """Settings of the bench stack (the environment is switched to it first)."""
    os.environ.update(bench_env(offset))
    from sxp_common.settings import Settings

    return Settings()


@contextmanager
def fresh_stack(keep: bool = False, offset: int | None = None) -> Iterator[Any]:
    """The bench stack from empty data, stopped (with its services) afterwards unless `keep`."""
    from sxp_cli.processes import services_down
    from sxp_stack.manager import stack_down, stack_up

    settings = bench_settings(offset)
    services_down(settings)
    stack_down(settings)
    shutil.rmtree(settings.home / "data", ignore_errors=True)
    stack_up(settings)
    try:
        yield settings
    finally:
        if not keep:
            services_down(settings)
            stack_down(settings)


def disk_mb(path: Path) -> float:
    """Bytes under `path`, in MB (0 when it does not exist)."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total / 1e6

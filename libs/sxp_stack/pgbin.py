"""Finding (or, as root, apt-installing) the PostgreSQL server binaries."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sxp_stack.component import Reporter
from sxp_stack.errors import StackError
from sxp_stack.paths import is_root
from sxp_stack.process import run_logged

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
DEBIAN_ROOT = Path("/usr/lib/postgresql")


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def _debian_bindirs() -> list[Path]:
    def version(path: Path) -> float:
        try:
            return float(path.parent.name)
        except ValueError:
            return 0.0

    return sorted(DEBIAN_ROOT.glob("*/bin"), key=version, reverse=True)


def find_bindir(want_major: str | None = None) -> Path | None:
    """A folder holding initdb, pg_ctl and postgres; of major version want_major when given."""
    candidates: list[Path] = []
    if want_major:
        candidates.append(DEBIAN_ROOT / want_major / "bin")
    from_pg_config = _pg_config_bindir()
    if from_pg_config is not None:
        candidates.append(from_pg_config)
    candidates += _debian_bindirs()
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        has_all = all((folder / name).is_file() for name in SERVER_PROGRAMS)
        if has_all and (want_major is None or server_major(folder) == want_major):
            return folder
    return None


def server_major(bindir: Path) -> str:
    """The major version of the server in bindir, e.g. '15'."""
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    # "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
    words = out.split()
    number = words[2] if len(words) > 2 else ""
    return number.split(".")[0]


def server_bindir(logs: Path, report: Reporter, want_major: str | None) -> Path:
    """The server binaries, apt-installing the postgresql package when root and none exist."""
    found = find_bindir(want_major)
    if found is not None:
        return found
    if want_major and find_bindir() is not None:
        raise StackError(
            f"the data in $SXP_HOME/data/postgres is PostgreSQL {want_major} but that server "
            "is not installed; install it or move the data aside"
        )
    if not is_root():
        raise StackError(
            "PostgreSQL server binaries not found; run `apt-get install postgresql` as root "
            "or set SXP_DATABASE_URL to an existing server"
        )
    report("postgres", "installing the postgresql apt package (once)")
    log = logs / "apt.log"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run_logged(["apt-get", "update"], log, "apt-get update", timeout_s=600.0, env=env)
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    run_logged(install, log, "apt-get install postgresql", timeout_s=900.0, env=env)
    found = find_bindir(want_major)
    if found is None:
        raise StackError(f"postgresql installed but initdb/pg_ctl/postgres not found; see {log}")
    return found

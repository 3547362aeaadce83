"""Run each service as its own OS process: N instances share the service's consumer group."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sxp_common.settings import Settings

# Service name on the command line -> Python module run with `python -m`.
SERVICES: dict[str, str] = {
    "ingest": "services.ingest",
    "card-factory": "services.card_factory",
    "labeler": "services.labeler",
    "audit-projector": "services.audit_projector",
    "enrichment-gate": "services.enrichment_gate",
    "adapter": "services.adapter",
    "exporter": "services.exporter",
    "compliance": "services.compliance",
    "audience": "services.audience",
    "api": "services.api",
}
# The services without an HTTP port of their own: App Platform runs them as workers.
WORKERS: dict[str, str] = {name: module for name, module in SERVICES.items() if name != "api"}


# What a service runs: a running instance started from other files than these is stale.
REPO_ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("services", "libs/sxp_common", "contracts")
CODE_SUFFIXES = frozenset({".py", ".avsc", ".json", ".tsv", ".npz", ".sql"})


class ProcessError(RuntimeError):
    """A service process could not be started or stopped."""


@dataclass(frozen=True)
class Instance:
    """One running (or stale) service instance known by its pid file."""

    service: str
    index: int
    pid: int | None
    alive: bool
    log: Path
    # The code fingerprint the instance was started from ("" when unknown: started before
    # fingerprints were recorded).
    code: str = ""


def canonical_service(name: str) -> str:
    """Accept card_factory or card-factory; raise ValueError for unknown names."""
    normalized = name.strip().lower().replace("_", "-")
    if normalized not in SERVICES:
        raise ValueError(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
    return normalized


def parse_scale(values: list[str]) -> dict[str, int]:
    """Parse SERVICE=N pairs (ValueError with a one-line reason when malformed)."""
    scale: dict[str, int] = {}
    for value in values:
        name, sep, count = value.partition("=")
        if not sep or not count.strip().isdigit():
            raise ValueError(f"--scale expects SERVICE=N, got {value!r}")
        scale[canonical_service(name)] = int(count)
    return scale


def _run_dir(settings: Settings) -> Path:
    path = settings.home / "run" / "services"
    path.mkdir(parents=True, exist_ok=True)
    return path


def code_fingerprint(root: Path = REPO_ROOT) -> str:
    """A digest of the code and data files a service runs, to tell a stale instance apart."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def service_fingerprint(settings: Settings, service: str, code: str = "") -> str:
    """What an instance of `service` runs: the code fingerprint, plus for a labeler given an
    operator's rules directory the digest of the tables it labels with, so `services up`
    restarts a labeler whose rules changed (and one that should run the packaged ones)."""
    code = code or code_fingerprint()
    if service == "labeler" and settings.labeler_rules_dir is not None:
        from services.labeler.version import rules_digest

        return f"{code}+rules.{rules_digest(settings.labeler_rules_dir)}"
    return code


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def instances(settings: Settings) -> list[Instance]:
    """Every instance with a pid file, alive or not."""
    found = []
    for pid_file in sorted(_run_dir(settings).glob("*.pid")):
        service, _, index = pid_file.stem.rpartition("-")
        try:
            pid = int(pid_file.read_text().strip())
        except ValueError:
            pid = None
        log = settings.home / "logs" / f"{pid_file.stem}.log"
        code_file = pid_file.with_suffix(".code")
        code = code_file.read_text().strip() if code_file.exists() else ""
        found.append(Instance(service, int(index), pid, bool(pid and _pid_alive(pid)), log,
                              code))
    return found


def start_instance(settings: Settings, service: str, index: int, code: str = "") -> Instance:
    """Start `python -m <module>` detached, logging to $SXP_HOME/logs/<service>-<index>.log."""
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{service}-{index}.log"
    env = dict(os.environ, SXP_INSTANCE_ID=f"{service}-{index}")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", SERVICES[service]],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )
    (_run_dir(settings) / f"{service}-{index}.pid").write_text(str(process.pid))
    code = service_fingerprint(settings, service, code)
    (_run_dir(settings) / f"{service}-{index}.code").write_text(code)
    return Instance(service, index, process.pid, True, log, code)


def stop_instance(settings: Settings, instance: Instance, timeout_s: float = 40.0) -> None:
    """SIGTERM (the service drains its batch), then SIGKILL after the deadline."""
    if instance.pid and instance.alive:
        os.kill(instance.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _pid_alive(instance.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _pid_alive(instance.pid):
            os.kill(instance.pid, signal.SIGKILL)
    for suffix in (".pid", ".code"):
        (_run_dir(settings) / f"{instance.service}-{instance.index}{suffix}").unlink(
            missing_ok=True)


def services_up(settings: Settings, scale: dict[str, int]) -> list[Instance]:
    """Make each service run exactly its scale (default 1) of the current code: start missing,
    stop extras, restart instances started from other code (an old gate cannot read a new
    command revision, say)."""
    code = code_fingerprint()
    runs = {service: service_fingerprint(settings, service, code) for service in SERVICES}
    current = instances(settings)
    for stale in (i for i in current if not i.alive or i.code != runs.get(i.service)):
        stop_instance(settings, stale)
    alive = [i for i in current if i.alive and i.code == runs.get(i.service)]
    started: list[Instance] = []
    for service in SERVICES:
        wanted = scale.get(service, 1)
        mine = sorted((i for i in alive if i.service == service), key=lambda i: i.index)
        for extra in mine[wanted:]:
            stop_instance(settings, extra)
        taken = {i.index for i in mine[:wanted]}
        free = (n for n in range(1, 10_000) if n not in taken)
        for _ in range(wanted - len(taken)):
            started.append(start_instance(settings, service, next(free), code))
    if not started:
        return instances(settings)
    time.sleep(1.0)
    fresh = {(i.service, i.index) for i in started}
    crashed = [i for i in instances(settings) if not i.alive and (i.service, i.index) in fresh]
    if crashed:
        first = crashed[0]
        raise ProcessError(f"{first.service}-{first.index} exited at start; see {first.log}")
    return instances(settings)


def services_down(settings: Settings) -> int:
    """Stop every instance; return how many were running."""
    running = [i for i in instances(settings) if i.alive]
    for instance in instances(settings):
        stop_instance(settings, instance)
    return len(running)

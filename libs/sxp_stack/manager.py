"""Bring the whole local stack up, down, or report on it (plain functions; no CLI here)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sxp_common.settings import Settings
from sxp_stack.component import Component, ComponentStatus, Reporter, quiet
from sxp_stack.errors import StackError
from sxp_stack.kafka import KafkaComponent
from sxp_stack.objectstore import ObjectStoreComponent
from sxp_stack.paths import StackPaths, redact
from sxp_stack.postgres import PostgresComponent
from sxp_stack.sandbox import SandboxComponent

__all__ = ["StackError", "StackStatus", "exports_lifecycle", "stack_down", "stack_status",
           "stack_up"]


@dataclass(frozen=True)
class StackStatus:
    """Every component's state plus what a client needs to reach it."""

    kafka: ComponentStatus
    postgres: ComponentStatus
    s3: ComponentStatus
    bucket: str
    access_key: str
    secret_key: str
    sandboxes: tuple[ComponentStatus, ...] = ()

    @property
    def components(self) -> tuple[ComponentStatus, ...]:
        """Every component in display order."""
        return (self.kafka, self.postgres, self.s3, *self.sandboxes)

    @property
    def all_running(self) -> bool:
        """True when every component answers."""
        return all(component.running for component in self.components)

    def to_json(self) -> dict[str, dict[str, object]]:
        """The one JSON object `sxp stack status --json` prints."""
        return {
            "kafka": {"bootstrap": self.kafka.address, "running": self.kafka.running},
            "postgres": {"url": self.postgres.address, "running": self.postgres.running},
            "s3": {
                "endpoint": self.s3.address,
                "bucket": self.bucket,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                "running": self.s3.running,
            },
            "sandbox": {
                c.name.removeprefix("sandbox-"): {"endpoint": c.address, "running": c.running}
                for c in self.sandboxes
            },
        }

    def __str__(self) -> str:
        lines = []
        for component in self.components:
            pid = f" pid {component.pid}" if component.pid else ""
            lines.append(f"{component.name:<8} {component.state:<11} {component.address}{pid}")
        return "\n".join(lines)


def _components(settings: Settings, paths: StackPaths, report: Reporter) -> list[Component]:
    # Kafka first so its JVM boots while initdb and Postgres start.
    return [
        KafkaComponent(settings, paths, report),
        ObjectStoreComponent(settings, paths, report),
        PostgresComponent(settings, paths, report),
        SandboxComponent("apollo", settings, paths, report),
        SandboxComponent("skiptrace", settings, paths, report),
        SandboxComponent("receiver", settings, paths, report),
    ]


@contextmanager
def _stack_lock(paths: StackPaths) -> Iterator[None]:
    """One `stack up`/`down` at a time per SXP_HOME (a second caller waits)."""
    with open(paths.run / "stack.lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _collect(settings: Settings, components: list[Component]) -> StackStatus:
    by_name = {component.name: component.status() for component in components}
    return StackStatus(
        kafka=by_name["kafka"],
        postgres=by_name["postgres"],
        s3=by_name["s3"],
        bucket=settings.s3_bucket,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        sandboxes=tuple(status for name, status in by_name.items() if name.startswith("sandbox-")),
    )


def _setup(settings: Settings | None, report: Reporter) -> tuple[Settings, StackPaths,
                                                                 list[Component]]:
    # Settings() rather than get_settings(): tests and callers change the environment.
    settings = settings if settings is not None else Settings()
    paths = StackPaths(settings.home, settings.cache_path())
    paths.ensure()
    return settings, paths, _components(settings, paths, report)


def stack_up(settings: Settings | None = None, report: Reporter = quiet) -> StackStatus:
    """Start whatever is not running, provision everything, and return the status."""
    settings, paths, components = _setup(settings, report)
    with _stack_lock(paths):
        to_start: list[Component] = []
        for component in components:
            status = component.status()
            if status.running:
                pid = f" (pid {status.pid})" if status.pid else ""
                report(component.name, f"already running at {redact(status.address)}{pid}")
            elif component.starting():
                report(component.name, "already starting; waiting for it")
            else:
                to_start.append(component)
        # Every conflict is found before anything is started, fetched or initialised.
        for component in to_start:
            component.check_ports()
        for component in to_start:
            component.prepare()
            component.launch()
        for component in components:
            component.wait_ready()
            component.provision()
        return _collect(settings, components)


def stack_down(settings: Settings | None = None, report: Reporter = quiet) -> StackStatus:
    """Stop every component we started (data stays on disk) and return the status."""
    settings, paths, components = _setup(settings, report)
    with _stack_lock(paths):
        # Ask all to stop first so their shutdowns overlap, then wait for each.
        for component in components:
            component.request_stop()
        for component in components:
            component.wait_stopped()
        return _collect(settings, components)


def stack_status(settings: Settings | None = None) -> StackStatus:
    """What runs now, without starting or stopping anything."""
    settings, _paths, components = _setup(settings, quiet)
    return _collect(settings, components)


def exports_lifecycle(settings: Settings | None = None) -> dict[str, object]:
    """The bucket's exports lifecycle as the object store reports it (GetBucketLifecycle)."""
    settings, paths, _ = _setup(settings, quiet)
    return ObjectStoreComponent(settings, paths, quiet).lifecycle()

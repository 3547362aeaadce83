"""What every stack component looks like to the manager, and how it reports progress."""

from __future__ import annotations

import importlib
import importlib.util
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sxp_stack.errors import StackError
from sxp_stack.process import port_open

# Progress callback: (component name, one-line message).
Reporter = Callable[[str, str], None]


def quiet(_component: str, _message: str) -> None:
    """A reporter that says nothing (the default for library callers)."""


@dataclass(frozen=True)
class ComponentStatus:
    """One component's state as `sxp stack status` shows it."""

    name: str
    running: bool
    address: str
    pid: int | None = None
    note: str = ""

    @property
    def state(self) -> str:
        """'running', 'stopped', or 'external' (a server we did not start)."""
        if self.note == "external":
            return "external" if self.running else "unreachable"
        return "running" if self.running else "stopped"


class Component(Protocol):
    """A local service the stack starts, provisions and stops."""

    name: str

    def status(self) -> ComponentStatus:
        """Whether it runs now, where, and under which pid."""
        ...

    def starting(self) -> bool:
        """True when our process lives but does not answer yet (leave it be, just wait)."""
        ...

    def check_ports(self) -> None:
        """Raise StackError when another process holds one of its ports."""
        ...

    def prepare(self) -> None:
        """Fetch binaries, write config, initialise data; blocking, idempotent."""
        ...

    def launch(self) -> None:
        """Start the process detached; returns before it is ready."""
        ...

    def wait_ready(self) -> None:
        """Block until it answers, or raise StackError naming its log."""
        ...

    def provision(self) -> None:
        """Create what the project needs in it (topics, bucket, schema); idempotent."""
        ...

    def request_stop(self) -> None:
        """Ask it to stop without waiting."""
        ...

    def wait_stopped(self) -> None:
        """Wait for it to exit, forcing it after a deadline."""
        ...


def optional_hook(module: str, function: str) -> Callable[..., Any] | None:
    """The named function when its module exists (the lead's code may land later), else None."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    if spec is None:
        return None
    hook = getattr(importlib.import_module(module), function, None)
    return hook if callable(hook) else None


def hook_failed(what: str, exc: BaseException, log_path: Path) -> StackError:
    """Log the traceback of a failed project hook and return the one-line error for it."""
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n--- {what} failed ---\n")
        log.write("".join(traceback.format_exception(exc)))
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StackError(f"{what} failed: {first}; traceback in {log_path}")


class LocalServer:
    """status() and starting() for a server process of ours that answers on host:port.

    A component supplies `name`, `host`, `port`, `address` and `_pid()` (the pid of our own
    process, or None).
    """

    name: str
    host: str
    port: int
    address: str

    def _pid(self) -> int | None:
        raise NotImplementedError

    def status(self) -> ComponentStatus:
        """Running means our process lives and its port answers."""
        pid = self._pid()
        return ComponentStatus(self.name, pid is not None and port_open(self.host, self.port),
                               self.address, pid)

    def starting(self) -> bool:
        """Our process lives but does not listen yet."""
        return self._pid() is not None and not port_open(self.host, self.port)

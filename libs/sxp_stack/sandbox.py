"""Local stand-ins for the outside world: the sandbox providers and a downstream receiver.

- apollo / skiptrace: HTTP servers that speak Apollo's and BatchData's API, started only
  when the adapter's endpoint is on this machine (no key and no remote base URL);
- receiver: the reference receiver of the api handoff transport (examples/api_receiver.py),
  started only when SXP_EXPORT_API_URL points at this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

from sxp_common.settings import Settings
from sxp_stack.component import ComponentStatus, LocalServer, Reporter
from sxp_stack.errors import StackError
from sxp_stack.paths import StackPaths, deploy_dir
from sxp_stack.process import (
    check_ports_free,
    live_pid,
    port_open,
    spawn_detached,
    terminate,
    wait_until,
)

START_TIMEOUT_S = 20.0
LOOPBACK = ("127.0.0.1", "localhost")


class SandboxComponent(LocalServer):
    """One sandbox provider server (apollo or skiptrace)."""

    def __init__(self, kind: str, settings: Settings, paths: StackPaths, report: Reporter) -> None:
        self.kind = kind
        self.name = f"sandbox-{kind}"
        self.endpoint = {
            "apollo": settings.apollo_endpoint(), "skiptrace": settings.skiptrace_endpoint(),
            "receiver": settings.export_api_url,
        }[kind]
        self.address = self.endpoint
        parts = urlsplit(self.endpoint)
        self.host, self.port = parts.hostname or "", parts.port or 80
        self.enabled = self.host in LOOPBACK
        self.setting = {"apollo": "SXP_APOLLO_BASE_URL", "skiptrace": "SXP_SKIPTRACE_BASE_URL",
                        "receiver": "SXP_EXPORT_API_URL"}[kind]
        if kind == "receiver":
            self.command = [str(_project_root() / "examples" / "api_receiver.py"),
                            "--secret", settings.export_hmac_secret,
                            "--out", str(paths.data / "api-receiver")]
        else:
            self.command = ["-m", "services.sandbox", kind, *[
                "--latency-ms", str(settings.sandbox_latency_ms),
                "--error-rate", str(settings.sandbox_error_rate),
                "--burst-429", str(settings.sandbox_burst_429),
            ]]
        self.paths, self.report = paths, report
        self.pid_file = paths.run / f"{self.name}.pid"
        self.log_file = paths.logs / f"{self.name}.log"
        self._stopping: int | None = None

    def _pid(self) -> int | None:
        return live_pid(self.pid_file, f"--port={self.port}")

    def status(self) -> ComponentStatus:
        """Running when our server lives and its port answers; 'external' for a real provider."""
        if not self.enabled:
            return ComponentStatus(self.name, True, self.endpoint, None, "external")
        return super().status()

    def starting(self) -> bool:
        """Our server lives but does not listen yet."""
        return self.enabled and super().starting()

    def check_ports(self) -> None:
        """The sandbox port must be free (only when we would start it)."""
        if self.enabled and self._pid() is None:
            check_ports_free(self.host, (self.port,), self.setting)

    def prepare(self) -> None:
        """Nothing to prepare: the server keeps no state."""

    def launch(self) -> None:
        """Start the server detached on its port."""
        if not self.enabled or self._pid() is not None:
            return
        argv = [sys.executable, *self.command, "--host", self.host, f"--port={self.port}"]
        pid = spawn_detached(argv, self.log_file, _project_root())
        self.pid_file.write_text(str(pid))

    def wait_ready(self) -> None:
        """Wait until the port answers."""
        if self.enabled and not wait_until(lambda: port_open(self.host, self.port),
                                           START_TIMEOUT_S):
            raise StackError(f"{self.name} did not start on port {self.port}; see {self.log_file}")

    def provision(self) -> None:
        """Nothing to provision."""

    def request_stop(self) -> None:
        """Remember our pid so wait_stopped can end it."""
        self._stopping = self._pid() if self.enabled else None

    def wait_stopped(self) -> None:
        """SIGTERM, then SIGKILL after a short deadline."""
        if self._stopping is not None:
            terminate(self._stopping, 10.0)
        self.pid_file.unlink(missing_ok=True)


def _project_root() -> Path:
    return deploy_dir().parents[1]

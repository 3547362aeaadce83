"""Process and port plumbing shared by the components: spawn detached, probe, stop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sxp_stack.errors import StackError
from sxp_stack.paths import is_root

T = TypeVar("T")
POLL_S = 0.2


def pid_alive(pid: int) -> bool:
    """True when pid is a live process (a zombie child counts as dead and is reaped)."""
    try:
        # Reap it if it is our own exited child, otherwise kill(0) would still succeed.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _proc_state(pid) not in ("Z", "X")


def _proc_state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "?"
    # The command name may hold spaces or parentheses; the state follows the last ')'.
    return stat.rsplit(")", 1)[-1].split()[0]


def cmdline_has(pid: int, argument: str) -> bool:
    """True when one of the process's arguments is exactly `argument` (guards pid reuse)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return argument in raw.decode(errors="replace").split("\0")


def read_pid(path: Path) -> int | None:
    """The pid in the first line of path, or None when missing or malformed."""
    try:
        first = path.read_text().splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    return int(first) if first.isdigit() else None


def live_pid(path: Path, argument: str) -> int | None:
    """The pid recorded in path if that process is alive and has `argument` in its argv."""
    pid = read_pid(path)
    if pid is None or not pid_alive(pid) or not cmdline_has(pid, argument):
        return None
    return pid


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check_ports_free(host: str, ports: Sequence[int], setting: str) -> None:
    """Raise the one-line conflict error for the first port some other process listens on."""
    for port in ports:
        if port_open(host, port):
            raise StackError(
                f"port {port} is already in use by another process; stop it or set {setting}"
            )


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Poll predicate until it is true or timeout_s passes; return its last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


def as_user(argv: Sequence[str], user: str | None) -> list[str]:
    """argv run as user via runuser when we are root, else unchanged."""
    if user and is_root():
        return ["runuser", "-u", user, "--", *argv]
    return list(argv)


def spawn_detached(argv: Sequence[str], log_path: Path, cwd: Path) -> int:
    """Start argv in its own session (it outlives the CLI), output appended to log_path."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    return proc.pid


def run_logged(
    argv: Sequence[str],
    log_path: Path,
    what: str,
    timeout_s: float = 300.0,
    env: dict[str, str] | None = None,
) -> None:
    """Run argv to completion with output appended to log_path; StackError naming the log."""
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(argv)}\n".encode())
        log.flush()
        try:
            code = subprocess.run(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                env=env,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            raise StackError(f"{what} timed out after {timeout_s:.0f}s; see {log_path}") from None
        except OSError as exc:
            raise StackError(f"{what} could not run ({exc.strerror}); see {log_path}") from None
    if code != 0:
        raise StackError(f"{what} failed (exit {code}); see {log_path}")


def send_signal(pid: int, sig: signal.Signals) -> None:
    """Signal pid, ignoring a process that is already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def terminate(pid: int, timeout_s: float) -> bool:
    """SIGTERM pid, wait up to timeout_s, then SIGKILL; True when it stopped gracefully."""
    send_signal(pid, signal.SIGTERM)
    return wait_or_kill(pid, timeout_s)


def wait_or_kill(pid: int, timeout_s: float) -> bool:
    """Wait up to timeout_s for pid to exit, then SIGKILL it; True when it exited by itself."""
    if wait_until(lambda: not pid_alive(pid), timeout_s):
        return True
    send_signal(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), 5.0)
    return False


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even when a loop already runs here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    # Called from inside a running loop (e.g. an async test): use a private loop in a thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, factory()).result()

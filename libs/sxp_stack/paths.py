"""Where the local stack keeps its cache, data, logs and pid files, and how it reads addresses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sxp_stack.errors import StackError

BIND_HOST = "127.0.0.1"


@dataclass(frozen=True)
class StackPaths:
    """The folders under $SXP_HOME that the stack owns."""

    home: Path
    cache_dir: Path | None = None

    @property
    def cache(self) -> Path:
        """Downloaded artifacts (Kafka jars), safe to delete; SXP_CACHE_DIR can share one."""
        return self.cache_dir or self.home / "cache"

    @property
    def data(self) -> Path:
        """Persistent state of every component."""
        return self.home / "data"

    @property
    def logs(self) -> Path:
        """Component logs."""
        return self.home / "logs"

    @property
    def run(self) -> Path:
        """Pid files, sockets and the stack lock."""
        return self.home / "run"

    def ensure(self) -> None:
        """Create the folders; 0755 so the postgres system user can walk through them."""
        for folder in (self.home, self.data, self.logs, self.run):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o755)


def deploy_dir() -> Path:
    """The checkout's deploy/local folder (pom and templates), found from this package or cwd."""
    starts = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for start in starts:
        for parent in (start, *start.parents):
            candidate = parent / "deploy" / "local"
            if (candidate / "kafka" / "pom.xml").is_file():
                return candidate
    raise StackError("deploy/local/kafka/pom.xml not found; run sxp from the project checkout")


def split_host_port(address: str, setting: str) -> tuple[str, int]:
    """Split 'host:port' (first entry of a comma list) and insist the host is loopback."""
    first = address.split(",")[0].strip()
    host, sep, port_text = first.rpartition(":")
    if not sep or not port_text.isdigit():
        raise StackError(f"{setting}={address!r} is not host:port")
    return _loopback(host, setting, address), int(port_text)


def split_url(url: str, setting: str) -> tuple[str, int]:
    """Host and port of an http(s) or postgresql URL, insisting the host is loopback."""
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise StackError(f"{setting}={url!r} must name a host and a port")
    return _loopback(parts.hostname, setting, url), parts.port


def _loopback(host: str, setting: str, value: str) -> str:
    if host == "localhost":
        # Clients resolve 'localhost' to 127.0.0.1 first, so that is where to listen.
        return BIND_HOST
    octets = host.split(".")
    if len(octets) == 4 and octets[0] == "127" and all(o.isdigit() for o in octets):
        return host
    raise StackError(
        f"{setting}={value!r} is not a 127.x address; the local stack only serves loopback"
    )


def redact(url: str) -> str:
    """A URL safe to print: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def is_root() -> bool:
    """True when running as root (postgres must then run as the postgres system user)."""
    return os.geteuid() == 0

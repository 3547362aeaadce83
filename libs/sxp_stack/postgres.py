"""PostgreSQL: a private cluster under $SXP_HOME, or a check of an external server."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import stat
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sxp_common.settings import Settings
from sxp_stack.component import ComponentStatus, Reporter, hook_failed, optional_hook
from sxp_stack.errors import StackError
from sxp_stack.paths import StackPaths, is_root, split_url
from sxp_stack.pgbin import find_bindir, server_bindir
from sxp_stack.process import (
    as_user,
    check_ports_free,
    live_pid,
    port_open,
    run_async,
    run_logged,
    send_signal,
    wait_or_kill,
    wait_until,
)

SETTING = "SXP_DATABASE_URL"
SYSTEM_USER = "postgres"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30.0
# A unix socket path longer than this cannot be bound (sun_path is 108 bytes).
MAX_SOCKET_PATH = 100
CONF_NAME = "sxp.conf"


def asyncpg_dsn(url: str) -> str:
    """The URL with any SQLAlchemy driver suffix dropped, as asyncpg wants it."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


async def _connect_and(url: str, create_db: str | None = None) -> None:
    import asyncpg

    if create_db is None:
        conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
        await conn.close()
        return
    parts = urlsplit(asyncpg_dsn(url))
    maintenance = parts._replace(path="/postgres").geturl()
    conn = await asyncpg.connect(maintenance, timeout=5)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", create_db):
            # CREATE DATABASE takes no parameters; the name is quoted by the server.
            quoted = await conn.fetchval("SELECT quote_ident($1)", create_db)
            await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()


class PostgresComponent:
    """The project's database server."""

    name = "postgres"

    def __init__(self, settings: Settings, paths: StackPaths, report: Reporter) -> None:
        self.url = settings.database_url
        self.service_password = settings.db_service_password
        self.external = settings.database_url_explicit()
        parts = urlsplit(asyncpg_dsn(self.url))
        self.host, self.port = (
            (parts.hostname or "", parts.port or 5432)
            if self.external
            else split_url(asyncpg_dsn(self.url), SETTING)
        )
        self.user = unquote(parts.username or "sxp")
        self.password = unquote(parts.password or "sxp")
        self.dbname = parts.path.lstrip("/") or "sxp"
        self.paths = paths
        self.report = report
        self.data = paths.data / "postgres"
        self.socket_dir = paths.run / "postgres"
        self.log_file = paths.logs / "postgres.log"
        self.ctl_log = paths.logs / "postgres-ctl.log"
        self.bindir: Path | None = None
        self._stopping: int | None = None

    def _pid(self) -> int | None:
        # pg_ctl starts `postgres -D <data>`: a reused pid or another cluster never matches.
        return live_pid(self.data / "postmaster.pid", str(self.data))

    def _reachable(self) -> bool:
        try:
            run_async(lambda: _connect_and(self.url))
        except Exception:  # unreachable for any reason is simply "not running"
            return False
        return True

    def status(self) -> ComponentStatus:
        """External: can we log in. Local: our postmaster lives and its port answers."""
        if self.external:
            return ComponentStatus(self.name, self._reachable(), self.url, None, "external")
        pid = self._pid()
        running = pid is not None and port_open(self.host, self.port)
        return ComponentStatus(self.name, running, self.url, pid)

    def starting(self) -> bool:
        """Our postmaster lives but does not listen yet (e.g. crash recovery)."""
        return not self.external and self._pid() is not None and not port_open(self.host, self.port)

    def check_ports(self) -> None:
        """The local cluster's port must be free; an external server must already answer."""
        if self.external:
            # Only reached when it did not answer: fail before anything else is started.
            self._raise_unreachable()
        check_ports_free(self.host, (self.port,), SETTING)

    def _raise_unreachable(self) -> None:
        raise StackError(
            f"cannot log in to the server {SETTING} names ({self.host}:{self.port}); "
            "check it is up and the credentials are right"
        )

    def prepare(self) -> None:
        """Find the binaries, initdb on first run, write our settings."""
        if self.external:
            return
        version_file = self.data / "PG_VERSION"
        want = version_file.read_text().strip() if version_file.exists() else None
        self.bindir = server_bindir(self.paths.logs, self.report, want)
        self._own_paths()
        if want is None:
            self._initdb()
        self._write_conf()

    def _system_user(self) -> pwd.struct_passwd | None:
        if not is_root():
            return None
        try:
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise StackError(
                "running as root but there is no 'postgres' user to run the server as; "
                "apt-get install postgresql creates it"
            ) from None

    def _chown(self, path: Path) -> None:
        user = self._system_user()
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _own_paths(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.data.chmod(0o700)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.touch()
        for path in (self.data, self.socket_dir, self.log_file):
            self._chown(path)
        if is_root():
            self._check_traversable()

    def _check_traversable(self) -> None:
        for folder in self.data.resolve().parents:
            if not folder.stat().st_mode & stat.S_IXOTH:
                raise StackError(
                    f"the postgres user cannot reach {self.data} because {folder} is not "
                    "world-searchable; chmod o+x it or set SXP_HOME elsewhere"
                )

    def _initdb(self) -> None:
        assert self.bindir is not None
        self.report(self.name, f"initdb (PostgreSQL in {self.bindir})")
        fd, pwfile = tempfile.mkstemp(dir=self.socket_dir, prefix="pw")
        try:
            os.write(fd, f"{self.password}\n".encode())
            os.close(fd)
            self._chown(Path(pwfile))
            argv = [
                str(self.bindir / "initdb"),
                "-D", str(self.data),
                "-U", self.user,
                f"--pwfile={pwfile}",
                "-E", "UTF8",
                "--locale=C.UTF-8",
                # Services log in as their own roles with passwords, so never 'trust'.
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
            ]
            init_log = self.paths.logs / "postgres-initdb.log"
            run_logged(as_user(argv, SYSTEM_USER), init_log, "initdb", timeout_s=180.0)
        finally:
            Path(pwfile).unlink(missing_ok=True)

    def _write_conf(self) -> None:
        socket_dirs = str(self.socket_dir)
        if len(f"{socket_dirs}/.s.PGSQL.{self.port}") > MAX_SOCKET_PATH:
            # The path would not fit in a unix socket address: TCP only then.
            socket_dirs = ""
        lines = [
            "# Written by `sxp stack up` on every start; a local development cluster.",
            "listen_addresses = '127.0.0.1'" if self.host == "127.0.0.1" else
            f"listen_addresses = '{self.host}'",
            f"port = {self.port}",
            f"unix_socket_directories = '{socket_dirs}'",
            "max_connections = 200",
            "shared_buffers = 256MB",
            "password_encryption = scram-sha-256",
            # Dev cluster: losing the last few hundred ms of commits on an OS crash is fine,
            # and it makes test-suite commits much faster. Data stays consistent (fsync on).
            "synchronous_commit = off",
            "log_min_messages = warning",
            "log_line_prefix = '%m [%p] %q%u@%d '",
        ]
        conf = self.data / CONF_NAME
        conf.write_text("\n".join(lines) + "\n")
        self._chown(conf)
        main_conf = self.data / "postgresql.conf"
        include = f"include_if_exists = '{CONF_NAME}'"
        if include not in main_conf.read_text():
            with open(main_conf, "a", encoding="utf-8") as handle:
                handle.write(f"\n{include}\n")

    def launch(self) -> None:
        """pg_ctl start, which returns once the server accepts connections."""
        if self.external:
            return
        assert self.bindir is not None
        self.report(self.name, f"starting on {self.host}:{self.port}")
        argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_file)]
        argv += ["-w", "-t", str(START_TIMEOUT_S), "start"]
        try:
            run_logged(as_user(argv, SYSTEM_USER), self.ctl_log, "pg_ctl start")
        except StackError:
            raise StackError(f"PostgreSQL did not start; see {self.log_file}") from None

    def wait_ready(self) -> None:
        """Wait until we can log in with the URL's credentials."""
        if self.external:
            if not self._reachable():
                self._raise_unreachable()
            return
        if not wait_until(lambda: port_open(self.host, self.port), START_TIMEOUT_S):
            raise StackError(
                f"PostgreSQL is not answering on port {self.port}; see {self.log_file}"
            )

    def provision(self) -> None:
        """Create the database (local cluster), then run the project's migrations (both cases).

        An external server named by SXP_DATABASE_URL must already have the database; the
        URL's user needs CREATEROLE to create the service roles.
        """
        stack_log = self.paths.logs / "stack.log"
        if not self.external:
            try:
                run_async(lambda: _connect_and(self.url, create_db=self.dbname))
            except Exception as exc:  # asyncpg's many error types all mean the same to the user
                raise hook_failed(f"creating database {self.dbname}", exc, stack_log) from None
        upgrade = optional_hook("sxp_common.migrations", "upgrade_database")
        if upgrade is None:
            self.report(self.name, "sxp_common.migrations not found; schema not migrated")
            return
        self.report(self.name, "running migrations")
        try:
            result = upgrade(self.url, self.service_password)
            if hasattr(result, "__await__"):
                run_async(lambda: result)
        except Exception as exc:  # the lead's code: keep its traceback in the log
            raise hook_failed("database migrations", exc, stack_log) from None

    def request_stop(self) -> None:
        """pg_ctl stop -m fast without waiting (disconnects clients, clean shutdown)."""
        self._stopping = None if self.external else self._pid()
        if self._stopping is None:
            return
        self.report(self.name, f"stopping (pid {self._stopping})")
        if self.bindir is None:
            self.bindir = find_bindir((self.data / "PG_VERSION").read_text().strip())
        if self.bindir is None:
            # No pg_ctl any more (package removed?): SIGINT is the postmaster's fast shutdown.
            send_signal(self._stopping, signal.SIGINT)
            return
        argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-W", "stop"]
        run_logged(as_user(argv, SYSTEM_USER), self.ctl_log, "pg_ctl stop")

    def wait_stopped(self) -> None:
        """Wait for the postmaster to exit; immediate mode, then SIGKILL, past the deadline."""
        pid = self._stopping
        if pid is None or wait_until(lambda: self._pid() is None, STOP_TIMEOUT_S):
            return
        self.report(self.name, "fast shutdown timed out; stopping immediately")
        if self.bindir is not None:
            argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
            with contextlib.suppress(StackError):  # SIGKILL below is the last resort anyway
                run_logged(as_user(argv, SYSTEM_USER), self.ctl_log, "pg_ctl stop", 30.0)
        wait_or_kill(pid, 5.0)

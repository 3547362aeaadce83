"""Kafka 4.x in KRaft mode, one node on loopback, run from Maven Central jars."""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from string import Template

from sxp_common.settings import Settings
from sxp_stack.component import LocalServer, Reporter, hook_failed, optional_hook
from sxp_stack.errors import StackError
from sxp_stack.paths import StackPaths, deploy_dir, split_host_port
from sxp_stack.process import (
    check_ports_free,
    live_pid,
    port_open,
    run_async,
    run_logged,
    send_signal,
    spawn_detached,
    wait_or_kill,
)

# Must match <kafka.version> in deploy/local/kafka/pom.xml: it names the jar cache.
KAFKA_VERSION = "4.1.1"
SETTING = "SXP_KAFKA_BOOTSTRAP"
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
MIN_JAVA = 17
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
JVM_OPTS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)


def new_cluster_id() -> str:
    """A Kafka-style cluster id: 16 random bytes, url-safe base64 without padding."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # Kafka's own Uuid.randomUuid avoids a leading '-', which CLIs read as an option.
        if not text.startswith("-"):
            return text


def find_java() -> str:
    """The java binary (JAVA_HOME first, then PATH), checked to be at least Java 17."""
    home = os.environ.get("JAVA_HOME")
    if home and not (Path(home) / "bin" / "java").is_file():
        raise StackError(f"JAVA_HOME={home} has no bin/java; fix or unset it")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java:
        raise StackError("java not found; apt-get install openjdk-17-jre-headless (Java 17+)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(match.group(1)) if match else 0
    if major == 1 and match and match.group(2):
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise StackError(f"{java} is Java {major or '?'}; Kafka {KAFKA_VERSION} needs Java 17+")
    return java


class KafkaComponent(LocalServer):
    """The single-node broker+controller the pipeline talks to."""

    name = "kafka"

    def __init__(self, settings: Settings, paths: StackPaths, report: Reporter) -> None:
        self.settings = settings
        self.bootstrap = settings.kafka_bootstrap
        self.address = self.bootstrap
        self.host, self.port = split_host_port(settings.kafka_bootstrap, SETTING)
        self.controller_port = self.port + 1
        self.report = report
        self.paths = paths
        self.cache = paths.cache / f"kafka-{KAFKA_VERSION}"
        self.libs = self.cache / "libs"
        self.data = paths.data / "kafka"
        self.log_dirs = self.data / "logs"
        self.pid_file = paths.run / "kafka.pid"
        self.log_file = paths.logs / "kafka.log"
        self.out_file = paths.logs / "kafka.out"
        self._stopping: int | None = None

    def _pid(self) -> int | None:
        # The config path is unique to this SXP_HOME: another stack's broker never matches.
        return live_pid(self.pid_file, str(self.data / "server.properties"))

    def check_ports(self) -> None:
        """Broker and controller ports must both be free."""
        check_ports_free(self.host, (self.port, self.controller_port), SETTING)

    def prepare(self) -> None:
        """Fetch the jars once, write the config, format storage on first run."""
        java = find_java()
        self._fetch_jars()
        self._write_configs()
        self._format_storage(java)

    def _fetch_jars(self) -> None:
        marker = self.cache / ".complete"
        if marker.exists() and self.libs.is_dir():
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise StackError("mvn not found; install Maven (apt-get install maven) to fetch Kafka")
        self.report(self.name, f"fetching Kafka {KAFKA_VERSION} jars from Maven Central (once)")
        self.cache.mkdir(parents=True, exist_ok=True)
        # Per-process staging: SXP_CACHE_DIR may be shared by stacks starting side by side.
        staging = self.cache / f"libs.partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        pom = deploy_dir() / "kafka" / "pom.xml"
        argv = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies"]
        argv.append(f"-DoutputDirectory={staging}")
        fetch_log = self.paths.logs / "kafka-fetch.log"
        run_logged(argv, fetch_log, "fetching Kafka jars with mvn")
        if not (staging / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
            raise StackError(f"mvn fetched no kafka_2.13 jar; see {fetch_log}")
        if marker.exists():
            shutil.rmtree(staging, ignore_errors=True)
            return
        shutil.rmtree(self.libs, ignore_errors=True)
        staging.rename(self.libs)
        marker.write_text(f"{KAFKA_VERSION}\n")

    def _write_configs(self) -> None:
        templates = deploy_dir() / "kafka"
        values = {
            "host": self.host,
            "port": str(self.port),
            "controller_port": str(self.controller_port),
            "log_dirs": str(self.log_dirs),
            "log_file": str(self.log_file),
        }
        self.data.mkdir(parents=True, exist_ok=True)
        for name in ("server.properties", "log4j2.properties"):
            source = templates / f"{name}.tmpl"
            try:
                text = Template(source.read_text()).substitute(values)
            except (KeyError, ValueError) as exc:
                raise StackError(f"{source} has a bad placeholder ({exc})") from None
            (self.data / name).write_text(text)

    def _format_storage(self, java: str) -> None:
        if (self.log_dirs / "meta.properties").exists():
            return
        id_file = self.data / "cluster.id"
        if not id_file.exists():
            id_file.write_text(new_cluster_id() + "\n")
        cluster_id = id_file.read_text().strip()
        self.report(self.name, f"formatting storage (cluster {cluster_id})")
        argv = [*self._java_argv(java), STORAGE_TOOL, "format", "--ignore-formatted"]
        argv += ["-t", cluster_id, "-c", str(self.data / "server.properties")]
        run_logged(argv, self.out_file, "formatting Kafka storage", timeout_s=120.0)

    def _java_argv(self, java: str) -> list[str]:
        return [
            java,
            *JVM_OPTS,
            f"-Dlog4j2.configurationFile={self.data / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.paths.logs}",
            "-cp",
            f"{self.libs}/*",
        ]

    def launch(self) -> None:
        """Start the JVM detached and record its pid."""
        self.report(self.name, f"starting broker on {self.bootstrap}")
        argv = [*self._java_argv(find_java()), MAIN_CLASS, str(self.data / "server.properties")]
        pid = spawn_detached(argv, self.out_file, self.data)
        self.pid_file.write_text(f"{pid}\n")

    def wait_ready(self) -> None:
        """Poll until the broker answers a metadata request."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        first = True
        while time.monotonic() < deadline:
            pid = self._pid()
            if pid is None:
                raise StackError(
                    f"Kafka exited while starting; see {self.log_file} and {self.out_file}"
                )
            if port_open(self.host, self.port) and self._metadata_ok():
                return
            if first:
                self.report(self.name, "waiting for the broker to answer")
                first = False
            time.sleep(0.25)
        raise StackError(
            f"Kafka did not answer on {self.bootstrap} in {READY_TIMEOUT_S:.0f}s; "
            f"see {self.log_file}"
        )

    def _metadata_ok(self) -> bool:
        from aiokafka.admin import AIOKafkaAdminClient

        async def probe() -> bool:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            try:
                await admin.start()
                await admin.list_topics()
                return True
            except Exception:  # any failure just means "not yet"; the deadline decides
                return False
            finally:
                await admin.close()

        logger = logging.getLogger("aiokafka")
        previous = logger.level
        # A broker still booting makes aiokafka log connection errors; they are expected here.
        logger.setLevel(logging.CRITICAL)
        try:
            return run_async(probe)
        finally:
            logger.setLevel(previous)

    def provision(self) -> None:
        """Create the project topics through sxp_common.topics.ensure_topics, when present."""
        ensure_topics = optional_hook("sxp_common.topics", "ensure_topics")
        if ensure_topics is None:
            self.report(self.name, "sxp_common.topics not found; no topics created")
            return
        self.report(self.name, "ensuring project topics")
        try:
            created = run_async(lambda: ensure_topics(self.settings))
        except Exception as exc:  # the lead's code: keep its traceback in the log
            raise hook_failed("creating Kafka topics", exc, self.paths.logs / "stack.log") from None
        if created:
            self.report(self.name, f"created {len(created)} topics")

    def request_stop(self) -> None:
        """SIGTERM starts the broker's controlled shutdown."""
        self._stopping = self._pid()
        if self._stopping is not None:
            self.report(self.name, f"stopping (pid {self._stopping})")
            send_signal(self._stopping, signal.SIGTERM)

    def wait_stopped(self) -> None:
        """Wait for the JVM to exit, SIGKILL after a deadline, drop the pid file."""
        pid = self._stopping
        if pid is not None and not wait_or_kill(pid, STOP_TIMEOUT_S):
            self.report(self.name, f"did not stop in {STOP_TIMEOUT_S:.0f}s; killed")
        self.pid_file.unlink(missing_ok=True)

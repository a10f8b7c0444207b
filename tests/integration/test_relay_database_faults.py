# ruff: noqa: F811 - pytest fixtures imported from tests.support are parameters here
"""The relay when the database goes away: it pauses, and when the database is back it
resumes from its tracked position, publishing every event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from consumers.publisher.config import RelayConfig
from consumers.publisher.relay import start_relay
from consumers.testing import read_topic, wait_until
from eventstore import Store
from eventstore.envelope import envelope_of
from okr.bootstrap import start_store
from okr.settings import Settings
from tests.support.consumers import fast
from tests.support.kafka_fixture import kafka_broker, kafka_topic, relay_config  # noqa: F401
from tests.support.pg_process import PostgresProcess, pg_process, pg_template  # noqa: F401
from tests.support.scenario import build_org

pytestmark = pytest.mark.kafka


def ids_of(records: Sequence[Any]) -> set[str]:
    return {dict(r.headers)["ce_id"].decode() for r in records}


def store_ids(store: Store) -> set[str]:
    return {envelope_of(r.event, r.position).id for r in store.feed().read(0, 10**7)}


def test_the_relay_resumes_from_its_position_when_the_database_is_back(
    pg_process: PostgresProcess, relay_config: RelayConfig, kafka_broker: Any, kafka_topic: str
) -> None:
    store = start_store(Settings(database_url=pg_process.url), pool_size=4)
    running = None
    try:
        org = build_org(store.app)
        running = start_relay(store, fast(relay_config))
        wait_until(lambda: running.lag() == 0, what="first events published")
        pg_process.stop()
        wait_until(lambda: running.relay.last_error is not None, what="the relay noticed")
        pg_process.start()
        wait_until(lambda: store.availability.up, what="the database answers again")
        for value in range(5):
            store.app.check_in(org.key_result, value=float(value), channel="api", actor="admin")
        wait_until(lambda: running.lag() == 0, timeout=60, what="the relay caught up")
        expected = store_ids(store)
        records = read_topic(kafka_broker.bootstrap_servers, kafka_topic,
                             until=lambda rs: ids_of(rs) >= expected)
    finally:
        if running is not None:
            running.stop()
        store.close()
    assert running.error is None
    assert ids_of(records) == expected

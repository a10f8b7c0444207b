# ruff: noqa: F811 - pytest fixtures imported from tests.support.kafka_fixture are parameters here
"""Faults: broker down, publisher or consumer killed mid-batch, poison messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import Notification
from kafka import KafkaProducer

from consumers.events import ConsumedEvent
from consumers.publisher.config import RelayConfig
from consumers.publisher.relay import start_relay
from consumers.reference.tree_mirror import TreeMirror, alignment_tree
from consumers.testing import read_topic, wait_until
from consumers.toolkit import Handler
from eventstore import Store
from tests.support.consumers import consumer_of, drain, fast, normalise, stored_count
from tests.support.kafka_fixture import (  # noqa: F401
    kafka_broker,
    kafka_store,
    kafka_topic,
    relay_config,
)
from tests.support.oracle import oracle_tree
from tests.support.scenario import build_org

pytestmark = pytest.mark.kafka


class SimulatedCrash(BaseException):
    """Stands for the process dying: nothing after it runs."""


def ids_of(records: Sequence[Any]) -> list[str]:
    return [dict(r.headers)["ce_id"].decode() for r in records]


def store_ids(store: Store) -> set[str]:
    from eventstore.envelope import envelope_of
    return {envelope_of(r.event, r.position).id for r in store.feed().read(0, 10**7)}


def test_events_recorded_while_the_broker_is_down_are_published_when_it_returns(
    store: Store, relay_config: RelayConfig, kafka_broker: Any, kafka_topic: str
) -> None:
    if kafka_broker.is_external:
        pytest.skip("an external broker cannot be stopped by the tests")
    servers = kafka_broker.bootstrap_servers
    org = build_org(store.app)
    running = start_relay(store, fast(relay_config))
    try:
        wait_until(lambda: running.lag() == 0, what="first events published")
        before = read_topic(servers, kafka_topic,
                            until=lambda rs: len(rs) >= stored_count(store))
        kafka_broker.stop()
        for value in range(5):
            store.app.check_in(org.key_result, value=float(value), channel="api", actor="admin")
        wait_until(lambda: running.relay.last_error is not None, what="relay noticed")
        assert running.lag() >= 5
        kafka_broker.start()
        wait_until(lambda: running.lag() == 0, timeout=60, what="relay caught up")
        after = read_topic(servers, kafka_topic,
                           until=lambda rs: set(ids_of(before) + ids_of(rs)) >= store_ids(store))
    finally:
        running.stop()
    assert running.error is None
    assert set(ids_of(before) + ids_of(after)) == store_ids(store)


def test_a_publisher_killed_before_recording_its_position_only_causes_duplicates(
    store: Store, relay_config: RelayConfig, kafka_broker: Any, kafka_topic: str
) -> None:
    org = build_org(store.app)

    def crash(batch: Sequence[Notification]) -> None:
        raise SimulatedCrash(f"killed after publishing {len(batch)} events")

    doomed = start_relay(store, fast(relay_config), fault=crash)
    doomed.join(timeout=30)
    assert isinstance(doomed.error, SimulatedCrash)
    assert doomed.relay.position() == 0  # published, never recorded
    successor = start_relay(store, fast(relay_config))
    try:
        wait_until(lambda: successor.lag() == 0, what="successor republished")
    finally:
        successor.stop()
    total = stored_count(store)
    records = read_topic(kafka_broker.bootstrap_servers, kafka_topic,
                         until=lambda rs: len(rs) >= 2 * total)
    assert len(records) == 2 * total and set(ids_of(records)) == store_ids(store)
    consumer = consumer_of(store, relay_config, TreeMirror(), "mirror-after-crash")
    try:
        drain(consumer, store)
        wait_until(lambda: consumer.poll_once() == 0 and consumer.duplicates == total,
                   what="duplicates dropped")
        assert consumer.processed == total
    finally:
        consumer.close()
    now = datetime.now(UTC)
    with psycopg.connect(store.database_url) as conn:
        assert normalise(alignment_tree(conn, org.cycle)) == normalise(
            oracle_tree(store.app, org.cycle, now, now))


class EffectCounter:
    """Writes one row per handled event, with no uniqueness: a double effect shows."""

    name = "effects"

    def __init__(self, poison_ids: frozenset[str] = frozenset(),
                 crash_at: int | None = None) -> None:
        self.poison_ids = poison_ids
        self.crash_at = crash_at
        self.calls = 0

    def setup(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS effects (event_id text NOT NULL)")

    def reset(self, cur: psycopg.Cursor[Any]) -> None:
        cur.execute("TRUNCATE effects")

    def handle(self, event: ConsumedEvent, cur: psycopg.Cursor[Any]) -> None:
        cur.execute("INSERT INTO effects (event_id) VALUES (%s)", (event.id,))
        self.calls += 1
        if self.calls == self.crash_at:
            raise SimulatedCrash("killed inside a handler, before the database commit")
        if event.id in self.poison_ids:
            raise ValueError(f"cannot handle {event.id}")

    def handlers(self) -> Mapping[str, Handler]:
        from consumers.events import models
        return dict.fromkeys(models(), self.handle)


def effects(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT event_id FROM effects")]


@pytest.mark.parametrize("stage", ["inside_a_handler", "after_the_db_commit"])
def test_a_consumer_killed_mid_batch_resumes_without_loss_or_double_effect(
    store: Store, relay_config: RelayConfig, stage: str
) -> None:
    build_org(store.app)
    relay = start_relay(store, fast(relay_config))
    try:
        wait_until(lambda: relay.lag() == 0, what="published")
    finally:
        relay.stop()
    batches = []

    def crash_on_third_batch(stage: str, size: int) -> None:
        batches.append(size)
        if len(batches) == 3:
            raise SimulatedCrash("killed between the database commit and the offset commit")

    if stage == "inside_a_handler":
        first = consumer_of(store, relay_config, EffectCounter(crash_at=8), "effects",
                            max_poll_records=3)
    else:
        first = consumer_of(store, relay_config, EffectCounter(), "effects",
                            max_poll_records=3)
        first.fault = crash_on_third_batch
    with pytest.raises(SimulatedCrash):
        wait_until(lambda: first.poll_once() < 0, what="crash")
    first.close()  # without committing offsets, as a killed process would
    committed = len(effects(store.database_url))
    if stage == "inside_a_handler":
        assert committed < 8  # the crashed batch was rolled back
    else:
        assert committed == sum(batches)  # the crashed batch was committed to the database
    second = consumer_of(store, relay_config, EffectCounter(), "effects",
                         max_poll_records=3)
    try:
        drain(second, store)
    finally:
        second.close()
    handled = effects(store.database_url)
    assert len(handled) == len(set(handled)) == stored_count(store)
    if stage == "after_the_db_commit":
        assert second.duplicates >= batches[-1]  # the last batch came again and was dropped


def test_a_poison_message_is_dead_lettered_with_its_error_and_the_consumer_goes_on(
    store: Store, relay_config: RelayConfig, kafka_broker: Any, kafka_topic: str
) -> None:
    build_org(store.app)
    relay = start_relay(store, fast(relay_config))
    try:
        wait_until(lambda: relay.lag() == 0, what="published")
    finally:
        relay.stop()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    producer.send(kafka_topic, key=b"junk", value=b"not json",
                  headers=[("ce_specversion", b"1.0")]).get(timeout=10)
    producer.close()
    poison = sorted(store_ids(store))[0]
    consumer = consumer_of(store, relay_config, EffectCounter(frozenset({poison})), "poisoned",
                           retry_delay=0.01)
    try:
        wait_until(lambda: consumer.poll_once() == 0 and consumer.dead_lettered == 2,
                   what="two dead letters")
    finally:
        consumer.close()
    handled = effects(store.database_url)
    assert sorted(handled) == sorted(store_ids(store) - {poison})  # the rest went on
    letters = read_topic(kafka_broker.bootstrap_servers, f"{kafka_topic}.dlq",
                         until=lambda rs: len(rs) >= 2)
    by_error = {dict(r.headers)["dlq_error_type"].decode(): dict(r.headers) for r in letters}
    assert set(by_error) == {"InvalidCloudEvent", "ValueError"}
    failed = by_error["ValueError"]
    assert failed["ce_id"].decode() == poison and failed["dlq_attempts"] == b"3"
    assert poison.encode() in failed["dlq_error"] and failed["dlq_consumer"] == b"effects"
    assert by_error["InvalidCloudEvent"]["dlq_attempts"] == b"0"

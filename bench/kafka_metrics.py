"""Kafka metrics: relay versus a plain producer, and commit-to-consumer latency."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

from bench.harness import Context, Result, bound_result, metric, p, ratio_result
from consumers.brokers import Broker, create_topic
from consumers.cloudevents import to_record
from consumers.publisher.config import RelayConfig
from consumers.publisher.relay import start_relay
from eventstore import Store
from eventstore.envelope import envelope_of
from okr.bootstrap import start_store
from okr.settings import Settings
from projections.alignment import ALIGNMENT

_broker: Broker | None = None


def broker() -> Broker:
    """The broker of the run: OKR_TEST_KAFKA_BOOTSTRAP_SERVERS, else a local Tansu."""
    global _broker  # noqa: PLW0603 - one broker for all Kafka metrics of a run
    if _broker is None:
        _broker = Broker.from_environment()
        _broker.start()
    return _broker


@contextmanager
def kafka_store(ctx: Context) -> Iterator[Store]:
    """A store of its own on the run's database, for a relay."""
    store = start_store(Settings(database_url=ctx.database_url))
    try:
        yield store
    finally:
        store.close()


def relay_config(topic: str, **options: Any) -> RelayConfig:
    return RelayConfig(bootstrap_servers=broker().bootstrap_servers, topic=topic, **options)


def _records(ctx: Context) -> list[Any]:
    """The relay's records, chain hash included (the harness sealed the log)."""
    feed, position, records = ctx.store.feed(), 0, []
    with ctx.store.pool.connection() as conn:
        seals = dict(conn.execute("SELECT position, hash FROM okr_integrity_seals").fetchall())
    while batch := feed.read(position, 5000):
        records += [to_record(envelope_of(r.event, r.position), bytes(seals[r.position]))
                    for r in batch]
        position = batch[-1].position
    return records


def _produce_plainly(records: list[Any], topic: str) -> float:
    producer = KafkaProducer(bootstrap_servers=broker().bootstrap_servers, acks="all",
                             enable_idempotence=True, linger_ms=5)
    began = time.perf_counter()
    for record in records:
        producer.send(topic, key=record.key, value=record.value, headers=record.headers)
    producer.flush()
    took = time.perf_counter() - began
    producer.close()
    return len(records) / took


def _tracked(store: Store, name: str) -> int:
    with store.pool.connection() as conn:
        row = conn.execute("SELECT position FROM okr_tracking WHERE name = %s",
                           (name,)).fetchone()
    return int(row[0]) if row else 0


@metric("relay_vs_producer")
def relay_vs_producer(ctx: Context) -> Result:
    records = _records(ctx)
    baseline_topic, relay_topic = f"bench-plain-{uuid.uuid4().hex[:6]}", \
        f"bench-relay-{uuid.uuid4().hex[:6]}"
    for topic in (baseline_topic, relay_topic):
        create_topic(broker().bootstrap_servers, topic)
    baseline = _produce_plainly(records, baseline_topic)
    head = ctx.store.feed().head()
    with kafka_store(ctx) as store:
        began = time.perf_counter()
        running = start_relay(store, relay_config(relay_topic))
        try:
            while _tracked(store, f"relay:{relay_topic}") < head:
                if running.error is not None:
                    raise running.error
                threading.Event().wait(0.01)
            rate = head / (time.perf_counter() - began)
        finally:
            running.stop()
    return ratio_result(rate, baseline, at_least=0.7, unit="events/s",
                        note="baseline: kafka-python producer, same records, acks=all, "
                             "idempotent; the relay also reads the events from PostgreSQL "
                             "and encodes them")


def _consume(topic: str, seen: dict[str, float], stop: threading.Event) -> None:
    consumer = KafkaConsumer(bootstrap_servers=broker().bootstrap_servers,
                             enable_auto_commit=False, fetch_max_wait_ms=10)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
    consumer.assign(partitions)
    consumer.seek_to_end(*partitions)
    while not stop.is_set():
        for messages in consumer.poll(timeout_ms=50).values():
            now = time.perf_counter()
            for message in messages:
                seen[dict(message.headers)["ce_id"].decode()] = now
    consumer.close()


@metric("e2e_p99_ms")
def e2e_p99_ms(ctx: Context) -> Result:
    topic = f"bench-e2e-{uuid.uuid4().hex[:6]}"
    create_topic(broker().bootstrap_servers, topic)
    return steady_latency(ctx, topic)


def steady_latency(ctx: Context, topic: str, rate: float = 200.0,
                   seconds: float = 10.0) -> Result:
    """Commit -> consumer latency of a steady load, once the relay has published the log
    into `topic`."""
    with kafka_store(ctx) as store:
        running = start_relay(store, relay_config(topic, idle_wait=0.2))
        try:
            while _tracked(store, f"relay:{topic}") < store.feed().head():
                threading.Event().wait(0.05)
            return _steady_load(store, topic, rate, seconds)
        finally:
            running.stop()


def _steady_load(store: Store, topic: str, rate: float, seconds: float) -> Result:
    from eventstore.envelope import event_id

    seen: dict[str, float] = {}
    stop = threading.Event()
    reader = threading.Thread(target=_consume, args=(topic, seen, stop), daemon=True)
    reader.start()
    threading.Event().wait(1.0)  # let the reader's assignment settle before the load starts
    krs = _key_results(store)
    committed: dict[str, float] = {}
    began = time.perf_counter()
    for number in range(int(rate * seconds)):
        due = began + number / rate
        threading.Event().wait(max(0.0, due - time.perf_counter()))
        kr = krs[number % len(krs)]
        answer = store.app.check_in(kr, value=float(number % 100), channel="cli", actor="bench")
        committed[event_id(kr, answer.version)] = time.perf_counter()
    deadline = time.perf_counter() + 30
    while len(seen.keys() & committed.keys()) < len(committed) and time.perf_counter() < deadline:
        threading.Event().wait(0.05)
    stop.set()
    latencies = [(seen[k] - t) * 1000 for k, t in committed.items() if k in seen]
    lost = len(committed) - len(latencies)
    return bound_result(p(latencies, 0.99), at_most=250, unit="ms (p99)",
                        note=f"{len(committed)} check-ins at {rate:.0f}/s, p50 "
                             f"{p(latencies, 0.5):.0f} ms, {lost} not seen in 30 s")


def _key_results(store: Store) -> list[UUID]:
    with store.pool.connection() as conn:
        rows = conn.execute(f"SELECT DISTINCT id FROM {ALIGNMENT.schema}.kr_versions k "
                            "WHERE NOT closed AND recorded_to = 'infinity' LIMIT 200").fetchall()
    return [row[0] for row in rows]


__all__ = ["e2e_p99_ms", "relay_vs_producer"]

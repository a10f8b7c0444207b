# ruff: noqa: F811 - pytest fixtures imported from tests.support.kafka_fixture are parameters here
"""The relay publishes every recorded event as the contract says, once per topic."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from consumers.publisher.config import RelayConfig
from consumers.publisher.relay import RunningRelay, start_relay
from consumers.testing import read_topic, wait_until
from eventstore import Store
from eventstore.envelope import envelope_of
from tests.support.consumers import fast
from tests.support.kafka_fixture import (  # noqa: F401
    kafka_broker,
    kafka_store,
    kafka_topic,
    relay_config,
)
from tests.support.scenario import build_org

pytestmark = pytest.mark.kafka


def relay(store: Store, config: RelayConfig) -> RunningRelay:
    return start_relay(store, fast(config, standby_interval=0.2))


def all_envelopes(store: Store) -> list[Any]:
    return [envelope_of(r.event, r.position) for r in store.feed().read(0, 10**6)]


def contract_headers(envelope: Any, seal: bytes) -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", b"1.0"), ("ce_id", envelope.id.encode()),
        ("ce_source", envelope.source.encode()), ("ce_type", envelope.type.encode()),
        ("ce_time", envelope.time.encode()), ("ce_subject", envelope.aggregate_id.encode()),
        ("ce_position", str(envelope.position).encode()),
        ("ce_aggregateversion", str(envelope.aggregate_version).encode()),
        ("ce_actor", envelope.actor.encode()), ("ce_chainhash", seal.hex().encode()),
        ("content-type", b"application/json"),
    ]


def seals(store: Store) -> dict[int, bytes]:
    with store.pool.connection() as conn:
        rows = conn.execute("SELECT position, hash FROM okr_integrity_seals").fetchall()
    return {position: bytes(digest) for position, digest in rows}


def test_every_recorded_event_arrives_as_a_cloudevent_keyed_by_aggregate(
    store: Store, relay_config: RelayConfig, kafka_broker: Any, kafka_topic: str
) -> None:
    org = build_org(store.app)
    for day in range(3):
        store.app.check_in(org.key_result, value=10.0 * day, confidence=0.7, note="weekly",
                             effective_at=datetime.now(UTC) - timedelta(days=3 - day),
                             channel="api", actor="admin")
    running = relay(store, relay_config)
    try:
        expected = all_envelopes(store)
        records = read_topic(kafka_broker.bootstrap_servers, kafka_topic,
                             until=lambda rs: len(rs) >= len(expected))
        wait_until(lambda: running.lag() == 0, what="lag 0")
    finally:
        running.stop()
    assert running.error is None
    by_id, sealed = {e.id: e for e in expected}, seals(store)
    assert sorted(by_id) == sorted(dict(r.headers)["ce_id"].decode() for r in records)
    assert len(records) == len(expected) == len(sealed)
    for record in records:
        envelope = by_id[dict(record.headers)["ce_id"].decode()]
        assert record.key == envelope.aggregate_id.encode()
        assert list(record.headers) == contract_headers(envelope, sealed[envelope.position])
        assert json.loads(record.value) == envelope.data
    # Per-aggregate order: within a partition, each aggregate's versions come in order.
    versions: dict[str, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        versions[record.key.decode()].append(int(dict(record.headers)["ce_aggregateversion"]))
    assert all(v == sorted(v) for v in versions.values())
    assert len({r.partition for r in records}) > 1  # keys spread over the partitions
    # Transaction time: `ce_time` rises with `ce_position`.
    stamped = sorted((int(dict(r.headers)["ce_position"]),
                      datetime.fromisoformat(dict(r.headers)["ce_time"].decode()))
                     for r in records)
    assert all(a[1] < b[1] for a, b in pairwise(stamped))


def test_only_one_relay_publishes_and_a_standby_takes_over_when_it_dies(
    store: Store, relay_config: RelayConfig, kafka_broker: Any, kafka_topic: str
) -> None:
    org = build_org(store.app)
    first, second = relay(store, relay_config), relay(store, relay_config)
    try:
        wait_until(lambda: store.feed().head() and first.lag() == 0, what="published")
        leader, standby = (first, second) if first.relay.is_leader else (second, first)
        assert not standby.relay.is_leader and standby.relay.published == 0
        leader.stop()
        store.app.check_in(org.key_result, value=42.0, channel="api", actor="admin")
        wait_until(lambda: standby.relay.published > 0 and standby.lag() == 0,
                   what="standby took over")
    finally:
        first.stop()
        second.stop()
    expected = all_envelopes(store)
    records = read_topic(kafka_broker.bootstrap_servers, kafka_topic,
                         until=lambda rs: len(rs) >= len(expected))
    ids = [dict(r.headers)["ce_id"].decode() for r in records]
    assert sorted(ids) == sorted(e.id for e in expected)  # each exactly once

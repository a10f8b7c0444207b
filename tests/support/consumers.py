"""Helpers of the Kafka tests: a fast relay, a consumer of the test's topic, draining it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import psycopg

from consumers.brokers import consumer_config
from consumers.publisher.config import RelayConfig
from consumers.testing import wait_until
from consumers.toolkit import ConsumerApp, ConsumerConfig, EventConsumer
from eventstore import Store

# Short waits and backoffs, so a relay notices faults and recovers within the tests' timeouts.
FAST = {"idle_wait": 0.1, "backoff_initial": 0.1, "backoff_max": 1.0, "flush_timeout": 5.0}


def fast(config: RelayConfig, **options: Any) -> RelayConfig:
    """`config` with the short waits of FAST (and `options`)."""
    return replace(config, **{**FAST, **options})


def consumer_of(
    store: Store, relay: RelayConfig, app: ConsumerApp, group: str, **options: Any
) -> EventConsumer:
    """A started consumer of the topic `relay` publishes to, on the store's database."""
    config = ConsumerConfig(bootstrap_servers=relay.bootstrap_servers, topic=relay.topic,
                            group_id=group, kafka_options=consumer_config(), **options)
    consumer = EventConsumer(config, app, database_url=store.database_url)
    consumer.start()
    return consumer


def stored_count(store: Store) -> int:
    return len(store.feed().read_raw(0, 10**7))


def consumed_count(url: str, name: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM okr_consumed_events WHERE consumer = %s",
                           (name,)).fetchone()
    return int(row[0]) if row else 0


def drain(consumer: EventConsumer, store: Store, timeout: float = 60.0) -> None:
    """Poll until the consumer has handled every event of the store."""
    total = stored_count(store)

    def caught_up() -> bool:
        consumer.poll_once()
        return consumed_count(store.database_url, consumer.name) >= total

    wait_until(caught_up, timeout, interval=0, what=f"{consumer.name} saw {total} events")


def normalise(tree: Any) -> Any:
    return json.loads(json.dumps(tree, sort_keys=True))

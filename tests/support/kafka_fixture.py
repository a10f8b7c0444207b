"""Pytest fixtures for a Kafka-compatible broker: import them where they are used.

    from tests.support.kafka_fixture import kafka_broker, kafka_topic  # noqa: F401

`store` (a smaller pool) and `relay_config` (the test's topic) come with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafka.errors import KafkaError

from consumers.brokers import Broker, admin_client, create_topic
from consumers.publisher.config import RelayConfig
from eventstore import Store
from okr.bootstrap import start_store
from okr.settings import Settings

PARTITIONS = 3  # more than one, so keyed records spread and per-key order is really tested


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One broker for the session (external, or Tansu started here and stopped at the end)."""
    broker = Broker.from_environment(log_dir=tmp_path_factory.mktemp("tansu"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def kafka_topic(kafka_broker: Broker) -> Iterator[str]:
    """A fresh topic with `PARTITIONS` partitions, deleted afterwards when it still exists."""
    kafka_broker.start()  # an earlier test may have stopped it and failed before restarting
    name = f"okr-test-{uuid.uuid4().hex[:12]}"
    create_topic(kafka_broker.bootstrap_servers, name, partitions=PARTITIONS)
    yield name
    if not kafka_broker.running:
        return
    admin = admin_client(kafka_broker.bootstrap_servers)
    try:
        admin.delete_topics([name])
    except KafkaError:
        pass  # gone with a restarted in-memory broker; nothing to clean up
    finally:
        admin.close()


@pytest.fixture(name="store")
def kafka_store(database_url: str) -> Iterator[Store]:
    """A Store on the test's database with a smaller pool (as `store`)."""
    store = start_store(Settings(database_url=database_url), pool_size=4)
    yield store
    store.close()


@pytest.fixture
def relay_config(kafka_broker: Broker, kafka_topic: str) -> RelayConfig:
    """Where a relay of the test publishes: the test's topic on the session's broker."""
    return RelayConfig(bootstrap_servers=kafka_broker.bootstrap_servers, topic=kafka_topic,
                       partitions=PARTITIONS)

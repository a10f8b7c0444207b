"""Pytest fixtures for a Kafka-compatible broker: import them where they are used.

    from tests.support.kafka_fixture import kafka_broker, kafka_topic  # noqa: F401
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafka.errors import KafkaError

from okr.bootstrap import Runtime, start_runtime
from okr.settings import Settings
from tests.support.broker import Broker, admin_client, create_topic

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


@pytest.fixture(name="runtime")
def kafka_runtime(
    database_url: str, kafka_broker: Broker, kafka_topic: str
) -> Iterator[Runtime]:
    """A Runtime on the test's database, publishing to the test's topic (as `runtime`)."""
    settings = Settings(database_url=database_url,
                        kafka_bootstrap_servers=kafka_broker.bootstrap_servers,
                        kafka_topic=kafka_topic, kafka_partitions=3)
    rt = start_runtime(settings, pool_size=4)
    yield rt
    rt.close()

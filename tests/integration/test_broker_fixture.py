"""The test broker carries keyed records with headers, and survives a restart on one address."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer

from consumers.brokers import Broker, consumer_config, create_topic
from tests.support.kafka_fixture import kafka_broker, kafka_topic  # noqa: F401

pytestmark = pytest.mark.kafka
Sent = list[tuple[bytes, list[tuple[str, bytes]], bytes]]


def produce(bootstrap_servers: str, topic: str, count: int = 3) -> Sent:
    """Send `count` keyed records with headers to partition 0, so their order is defined."""
    sent: Sent = [
        (f"key-{n}".encode(), [("ce_id", uuid.uuid4().hex.encode()), ("n", str(n).encode())],
         f"value-{n}".encode())
        for n in range(count)
    ]
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    try:
        for key, headers, value in sent:
            producer.send(topic, value=value, key=key, headers=headers, partition=0).get(10)
    finally:
        producer.close(timeout=5)
    return sent


def consume_as_group(bootstrap_servers: str, topic: str, count: int, timeout: float = 30) -> Sent:
    """Read `count` records through a fresh consumer group (join, assignment, fetch)."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, group_id=f"okr-test-{uuid.uuid4().hex[:8]}",
        **consumer_config(),
    )
    received: Sent = []
    deadline = time.monotonic() + timeout
    try:
        while len(received) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                received.extend((r.key, list(r.headers), r.value) for r in batch)
    finally:
        consumer.close()
    return received


def test_group_consumer_reads_keyed_records_with_headers_in_the_order_sent(
    kafka_broker: Broker, kafka_topic: str,  # noqa: F811
) -> None:
    sent = produce(kafka_broker.bootstrap_servers, kafka_topic)
    assert consume_as_group(kafka_broker.bootstrap_servers, kafka_topic, len(sent)) == sent


def test_restarted_broker_accepts_and_serves_records_on_the_same_address(
    kafka_broker: Broker, kafka_topic: str,  # noqa: F811
) -> None:
    if kafka_broker.is_external:
        pytest.skip("an external broker is not ours to restart")
    address = kafka_broker.bootstrap_servers
    kafka_broker.stop()
    assert not kafka_broker.running
    kafka_broker.start()
    assert kafka_broker.bootstrap_servers == address
    create_topic(address, kafka_topic)  # Tansu keeps topics in memory only
    sent = produce(address, kafka_topic)
    assert consume_as_group(address, kafka_topic, len(sent)) == sent

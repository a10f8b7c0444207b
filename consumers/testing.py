"""Helpers for tests of Kafka consumers (ours and downstream): read a topic, wait for a state.

Reading uses manual partition assignment (no consumer group), so it starts at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from kafka import KafkaConsumer
from kafka.structs import TopicPartition

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout}s (last: {value!r})")
        time.sleep(interval)


def read_topic(
    bootstrap_servers: str, topic: str, *, until: Callable[[list[Any]], bool],
    timeout: float = 30.0,
) -> list[Any]:
    """Every record of `topic` from the beginning, read until `until(records)` holds."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None,
                             enable_auto_commit=False, request_timeout_ms=5000)
    records: list[Any] = []
    try:
        partitions = wait_until(lambda: consumer.partitions_for_topic(topic), timeout,
                                what=f"topic {topic}")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        deadline = time.monotonic() + timeout
        while not until(records):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: only {len(records)} records in {timeout}s")
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close(autocommit=False)

"""Topic administration shared by the relay and the consumer toolkit."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


def ensure_topic(
    bootstrap_servers: str, topic: str, partitions: int, replication_factor: int = -1,
    timeout_ms: int = 10_000,
) -> bool:
    """Create `topic` when missing; True when this call created it. Raises KafkaError.

    Replication factor -1 asks for the broker's `default.replication.factor` (Kafka 2.4+).
    """
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="okr-admin",
        request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms,
    )
    try:
        if topic in admin.list_topics():
            return False
        try:
            admin.create_topics(
                [NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor)],
                timeout_ms=timeout_ms,
            )
        except TopicAlreadyExistsError:
            return False
        log.info("created topic %s with %d partitions", topic, partitions)
        return True
    finally:
        admin.close()

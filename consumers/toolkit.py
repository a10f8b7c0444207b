"""Consumer toolkit: typed okr-ledger events from Kafka, applied exactly once to PostgreSQL.

Each poll batch is one database transaction; each event inside it gets a savepoint holding
the de-duplication row (`okr_consumed_events`) and the handler's writes. Kafka offsets are
committed only after the database commit, so a crash anywhere redelivers, and redelivered
events are dropped by id. A handler that keeps failing (or a record that cannot be decoded)
is dead-lettered to `<topic>.dlq` with the error in its headers, and consumption goes on.
See docs/consumers.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from consumers.backoff import Backoff
from consumers.cloudevents import InvalidCloudEvent, from_record
from consumers.events import ConsumedEvent, InvalidEventData, decode
from consumers.kafka_admin import ensure_topic
from domain.base import EventClass
from domain.event_types import schema_versions, stored_event_type

log = logging.getLogger(__name__)

Handler = Callable[[ConsumedEvent, psycopg.Cursor[Any]], None]
# Fault hook for tests: called with a stage name ("db_committed") and the batch size.
FaultHook = Callable[[str, int], None]

DEDUP_DDL = """
CREATE TABLE IF NOT EXISTS okr_consumed_events (
    consumer text NOT NULL,
    event_id text NOT NULL,
    position bigint NOT NULL,
    consumed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
)
"""


class ConsumerApp(Protocol):
    """What a downstream service plugs into the toolkit."""

    name: str

    def setup(self, conn: psycopg.Connection[Any]) -> None:
        """Create the app's tables (idempotent)."""

    def reset(self, cur: psycopg.Cursor[Any]) -> None:
        """Empty the app's tables before a replay from the beginning."""

    def handlers(self) -> Mapping[str, Handler]:
        """Event type -> handler; types not listed are skipped (and still de-duplicated)."""
        ...


def by_public_type(handlers: Mapping[EventClass, Handler]) -> dict[str, Handler]:
    """Handlers keyed by the public types of their event class (`okr.objective.created.v1`),
    as records carry them: written once, in the domain, never out by hand. A class with
    several schema versions gets every version's type (records published before a new
    version still come through the topic); the event's data is upcast when decoded."""
    return {stored_event_type(event_class, version): handler
            for event_class, handler in handlers.items()
            for version in schema_versions(event_class)}


@dataclass(frozen=True)
class ConsumerConfig:
    bootstrap_servers: str
    topic: str
    group_id: str
    max_attempts: int = 3
    retry_delay: float = 0.05
    poll_timeout_ms: int = 500
    max_poll_records: int = 200
    dlq_partitions: int = 1
    kafka_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dlq_topic(self) -> str:
        return f"{self.topic}.dlq"


class _Rewind(ConsumerRebalanceListener):  # type: ignore[misc]
    """Seeks newly assigned partitions to the beginning while a replay is pending."""

    def __init__(self, owner: EventConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        if self.owner.replay_pending and assigned:
            self.owner.kafka().seek_to_beginning(*assigned)
            self.owner.replay_pending = False
            log.info("%s replays %s from the beginning", self.owner.name, sorted(assigned))


class EventConsumer:
    """Runs one ConsumerApp against the topic; `run()` until `stop()`."""

    def __init__(
        self, config: ConsumerConfig, app: ConsumerApp, *, database_url: str,
        after_commit: Callable[[psycopg.Connection[Any]], None] | None = None,
        fault: FaultHook | None = None,
    ) -> None:
        self.config = config
        self.app = app
        self.name = app.name
        self.database_url = database_url
        self.after_commit = after_commit
        self.fault = fault
        self.replay_pending = False
        self.processed = self.duplicates = self.dead_lettered = 0
        self._handlers = dict(app.handlers())
        self._stop = threading.Event()
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._conn: psycopg.Connection[Any] | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, *, from_beginning: bool = False) -> None:
        """Create tables, connect, subscribe; `from_beginning` clears and replays."""
        conn = self.db()
        with conn.transaction():
            conn.execute(DEDUP_DDL)
        self.app.setup(conn)
        ensure_topic(self.config.bootstrap_servers, self.config.dlq_topic,
                     self.config.dlq_partitions)
        if from_beginning:
            self.replay(clear=True)
        self.kafka()

    def kafka(self) -> KafkaConsumer:
        if self._consumer is None:
            options = {
                "max_poll_records": self.config.max_poll_records,
                "auto_offset_reset": "earliest",
                **self.config.kafka_options,
            }
            consumer = KafkaConsumer(
                bootstrap_servers=self.config.bootstrap_servers, group_id=self.config.group_id,
                client_id=f"okr-consumer-{self.name}", enable_auto_commit=False, **options,
            )
            consumer.subscribe([self.config.topic], listener=_Rewind(self))
            self._consumer = consumer
        return self._consumer

    def db(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.database_url, autocommit=True)
        return self._conn

    def replay(self, *, clear: bool = True) -> None:
        """Consume the topic again from the beginning; `clear` empties dedup and app tables."""
        if clear:
            conn = self.db()
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("DELETE FROM okr_consumed_events WHERE consumer = %s", (self.name,))
                self.app.reset(cur)
        consumer = self._consumer
        if consumer is not None and consumer.assignment():
            consumer.seek_to_beginning()
        else:
            self.replay_pending = True

    def stop(self) -> None:
        """Ask `run()` to return after the current batch (thread-safe)."""
        self._stop.set()

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def run(
        self, *, when_caught_up: Callable[[psycopg.Connection[Any]], None] | None = None,
        every: float = 60.0, stop: threading.Event | None = None,
    ) -> None:
        """Consume until `stop()` (or `stop` is set); broker or database outages are retried.

        `when_caught_up(conn)` judges the present from what the app has built, so it runs only
        while the consumer is caught up with the topic (never mid-replay): as soon as it
        catches up, after each batch it consumes while caught up, and every `every` seconds."""
        if stop is not None:
            self._stop = stop
        backoff = Backoff(0.5, 30.0)
        due = 0.0
        while not self._stop.is_set():
            try:
                seen = self.poll_once()
                judge = seen > 0 or time.monotonic() >= due
                if when_caught_up is not None and judge and self.caught_up():
                    when_caught_up(self.db())
                    due = time.monotonic() + every
                backoff.reset()
            except (KafkaError, psycopg.OperationalError) as error:
                # Offsets of the failed batch were not committed: restart from them.
                log.warning("%s paused (%s); restarting the consumer", self.name, error)
                self.close()
                self._stop.wait(backoff.next())

    def caught_up(self) -> bool:
        """Whether every record of this consumer's partitions has been consumed (as of the
        broker's last answer), so the app's tables reflect the whole topic."""
        consumer = self.kafka()
        partitions = consumer.assignment()
        if not partitions:
            return False
        ends = {p: consumer.highwater(p) for p in partitions}
        unknown = [p for p, end in ends.items() if end is None]  # nothing fetched there yet
        if unknown:
            ends.update(consumer.end_offsets(unknown))
        return all(consumer.position(p) >= end for p, end in ends.items())

    # -- one batch ---------------------------------------------------------------------
    def poll_once(self) -> int:
        """Poll, apply and commit one batch; returns the number of records seen."""
        consumer = self.kafka()
        batch = consumer.poll(timeout_ms=self.config.poll_timeout_ms,
                              max_records=self.config.max_poll_records)
        if not batch:
            return 0
        conn = self.db()
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        seen = 0
        with conn.transaction(), conn.cursor() as cur:
            for partition, messages in batch.items():
                for message in messages:
                    self._apply(message, cur)
                    offsets[partition] = OffsetAndMetadata(message.offset + 1, "", -1)
                    seen += 1
        if self.fault is not None:
            self.fault("db_committed", seen)
        consumer.commit(offsets)
        if self.after_commit is not None:
            self.after_commit(conn)
        return seen

    def _apply(self, message: Any, cur: psycopg.Cursor[Any]) -> None:
        try:
            envelope = from_record(message.headers or [], message.value)
            event = decode(envelope, message.topic, message.partition, message.offset)
        except (InvalidCloudEvent, InvalidEventData) as invalid:
            self._dead_letter(message, invalid, attempts=0)
            return
        handler = self._handlers.get(event.type)
        last: Exception | None = None
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                with cur.connection.transaction():
                    if not self._first_delivery(event, cur):
                        self.duplicates += 1
                        return
                    if handler is not None:
                        handler(event, cur)
                self.processed += 1
                return
            except psycopg.OperationalError:
                raise  # the database is gone: the whole batch is retried, not dead-lettered
            except Exception as failure:  # any handler bug: retry, then dead-letter
                last = failure
                log.warning("%s: %s failed (attempt %d): %r", self.name, event.id, attempt,
                            failure)
                self._stop.wait(self.config.retry_delay * attempt)
        assert last is not None
        self._dead_letter(message, last, attempts=self.config.max_attempts)
        with cur.connection.transaction():
            self._first_delivery(event, cur)  # dead-lettered counts as handled

    def _first_delivery(self, event: ConsumedEvent, cur: psycopg.Cursor[Any]) -> bool:
        cur.execute(
            "INSERT INTO okr_consumed_events (consumer, event_id, position) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (self.name, event.id, event.position),
        )
        return cur.rowcount == 1

    def _dead_letter(self, message: Any, error: Exception, attempts: int) -> None:
        headers = [*(message.headers or []),
                   ("dlq_error", str(error)[:2000].encode()),
                   ("dlq_error_type", type(error).__name__.encode()),
                   ("dlq_attempts", str(attempts).encode()),
                   ("dlq_consumer", self.name.encode()),
                   ("dlq_source", f"{message.topic}/{message.partition}/{message.offset}".encode())]
        producer = self._dlq_producer()
        producer.send(self.config.dlq_topic, key=message.key, value=message.value,
                      headers=headers).get(timeout=30)
        self.dead_lettered += 1
        log.error("%s dead-lettered %s/%d/%d: %s", self.name, message.topic, message.partition,
                  message.offset, error)

    def _dlq_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.config.bootstrap_servers, acks="all",
                enable_idempotence=True, client_id=f"okr-dlq-{self.name}",
            )
        return self._producer

"""The publisher: every event of the global log to Kafka, at least once, in per-aggregate order.

It follows the log from its tracked position (`okr_tracking`, name `relay:<topic>`), sealed
events only, each record carrying its hash in the integrity chain (`ce_chainhash`): when the
next events are not sealed yet it seals them itself, as any sealer would (eventstore/seals.py),
so it never waits for another process. It sends each batch as CloudEvents (binary mode),
waits until the broker acknowledged every record
(idempotent producer, acks=all) and only then advances the position. A crash between the
two republishes the batch: consumers drop the duplicates by event id. While the broker is
down it retries with capped exponential backoff and reports its lag. One relay per topic
publishes (advisory lock); the others stand by.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from kafka import KafkaProducer
from kafka.errors import KafkaConfigurationError, KafkaError, KafkaTimeoutError
from kafka.producer.future import FutureRecordMetadata
from psycopg_pool import ConnectionPool

from consumers.backoff import Backoff
from consumers.cloudevents import KafkaRecord, record_of, record_of_stored
from consumers.kafka_admin import ensure_topic
from consumers.publisher.config import RelayConfig
from consumers.publisher.leadership import AdvisoryLock, LeadershipLost
from eventstore import Store
from eventstore.feed import DATABASE_UNAVAILABLE, EventFeed, NewEventSignal
from eventstore.seals import seal_batch, sealed_rows
from eventstore.tracking import record_position, tracked_position

log = logging.getLogger(__name__)

# Called after a batch was acknowledged by the broker and before its position is recorded;
# tests inject a crash here.
FaultHook = Callable[[Sequence[Notification]], None]
# How long a clean stop waits for records in flight (bounded: a stop must end promptly even
# when the broker is gone).
CLEAN_CLOSE_TIMEOUT = 5.0


class Relay:
    """Publishes the log; `run(stop)` blocks until `stop` is set."""

    def __init__(
        self, config: RelayConfig, *, database_url: str, feed: EventFeed,
        pool: ConnectionPool[Any], signal: NewEventSignal | None = None,
        fault: FaultHook | None = None,
    ) -> None:
        self.config = config
        self.feed = feed
        self.pool = pool
        self.signal = signal
        self.fault = fault
        self.lock = AdvisoryLock(database_url, f"okr-relay:{config.topic}")
        self.published = 0
        self.last_error: BaseException | None = None
        self._producer: KafkaProducer | None = None
        mapper = feed.app.mapper
        # Stored JSON can be read as is unless the store compresses or encrypts it.
        self._plain_state = mapper.compressor is None and mapper.cipher is None

    @property
    def is_leader(self) -> bool:
        return self.lock.held

    def position(self) -> int:
        with self.pool.connection() as conn:
            return tracked_position(conn, self.config.tracking_name)

    def lag(self) -> int:
        """Events recorded but not yet acknowledged by the broker."""
        return max(0, self.feed.head() - self.position())

    def run(self, stop: threading.Event) -> None:
        backoff = Backoff(self.config.backoff_initial, self.config.backoff_max)
        try:
            while not stop.is_set():
                try:
                    if not self.lock.acquire():
                        stop.wait(self.config.standby_interval)
                        continue
                    self._publish_until(stop, backoff)
                except KafkaConfigurationError:
                    raise  # a wrong setting does not heal by waiting
                except (KafkaError, OSError, *DATABASE_UNAVAILABLE, LeadershipLost) as error:
                    self._failed(error)
                    if isinstance(error, (*DATABASE_UNAVAILABLE, LeadershipLost)):
                        self.lock.release()
                    stop.wait(backoff.next())
        finally:
            # A clean stop flushes what is in flight; a failure closes at once.
            self._close_producer(CLEAN_CLOSE_TIMEOUT if stop.is_set() else 0)
            self.lock.release()
            if self.signal is not None:
                self.signal.close()

    def _publish_until(self, stop: threading.Event, backoff: Backoff) -> None:
        producer = self._ready_producer()
        position = self.position()
        while not stop.is_set():
            self.lock.check()
            sealed = self._sealed_after(position)
            if not sealed:
                self._wait_for_events(stop)
                continue
            batch = [notification for notification, _ in sealed]
            self._publish(producer, batch, [chain_hash for _, chain_hash in sealed])
            self._record(batch)
            position = batch[-1].id
            backoff.reset()

    def _sealed_after(self, position: int) -> list[tuple[Notification, bytes]]:
        """The next sealed events with their hashes, sealing the next batch when none is."""
        for _ in range(2):
            with self.pool.connection() as conn:
                sealed = sealed_rows(conn, self.feed, position, self.config.batch_size)
            if sealed or not seal_batch(self.pool, self.feed, self.config.batch_size):
                break
        return sealed

    def _publish(
        self, producer: KafkaProducer, batch: Sequence[Notification], hashes: list[bytes]
    ) -> None:
        """Send the batch and return only when the broker acknowledged every record.

        (Sending the next batch while this one is in flight, without a flush, was measured
        slower: more CPU per event, as the producer ships batches while reads interleave.)"""
        futures = self._send(producer, batch, hashes)
        producer.flush(timeout=self.config.flush_timeout)
        self._acknowledged(batch, futures)

    def _send(
        self, producer: KafkaProducer, batch: Sequence[Notification], hashes: list[bytes]
    ) -> list[FutureRecordMetadata]:
        # Encoded first, then sent back to back (as full producer batches, like any plain
        # producer loop), rather than interleaving each send with the next record's encoding.
        records = [self._record_of(n, h) for n, h in zip(batch, hashes, strict=True)]
        send, topic = producer.send, self.config.topic
        return [send(topic, key=r.key, value=r.value, headers=r.headers) for r in records]

    def _record_of(self, notification: Notification, chain_hash: bytes) -> KafkaRecord:
        """Encoded from the stored JSON when it can be (no domain event is built)."""
        record = record_of_stored(notification, chain_hash) if self._plain_state else None
        if record is None:
            event = self.feed.app.mapper.to_domain_event(notification)
            record = record_of(event, notification.id, chain_hash)
        return record

    def _acknowledged(
        self, batch: Sequence[Notification], futures: list[FutureRecordMetadata]
    ) -> None:
        """Raise unless the broker acknowledged every record of the (flushed) batch."""
        for future in futures:
            if not future.is_done:
                raise KafkaTimeoutError("the broker did not acknowledge the batch in time")
            future.get(timeout=0)  # raises the record's delivery error, if any
        if self.fault is not None:
            self.fault(batch)

    def _record(self, batch: Sequence[Notification]) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            record_position(cur, self.config.tracking_name, batch[-1].id)
        self.published += len(batch)
        if self.last_error is not None:
            log.info("relay caught up after %s; at position %d", self.last_error,
                     batch[-1].id)
            self.last_error = None

    def _ready_producer(self) -> KafkaProducer:
        if self._producer is None:
            config = self.config
            ensure_topic(config.bootstrap_servers, config.topic, config.partitions,
                         config.replication_factor,
                         timeout_ms=int(config.flush_timeout * 1000))
            timeout_ms = int(config.flush_timeout * 1000)
            self._producer = KafkaProducer(
                bootstrap_servers=config.bootstrap_servers, client_id="okr-relay",
                enable_idempotence=True, acks="all", linger_ms=config.linger_ms,
                max_in_flight_requests_per_connection=5, max_block_ms=timeout_ms,
                request_timeout_ms=timeout_ms,
                delivery_timeout_ms=timeout_ms + config.linger_ms + 1000,
            )
        return self._producer

    def _wait_for_events(self, stop: threading.Event) -> None:
        if self.signal is None:
            stop.wait(self.config.idle_wait)
        else:
            self.signal.wait(timeout=self.config.idle_wait)

    def _failed(self, error: BaseException) -> None:
        self.last_error = error
        log.warning(
            "relay paused (%s: %s); lag %s", type(error).__name__, error, self._lag_or_unknown()
        )
        self._close_producer()

    def _lag_or_unknown(self) -> int | str:
        try:
            return self.lag()
        except psycopg.Error:
            return "unknown"

    def _close_producer(self, timeout: float = 0) -> None:
        """Close the producer, waiting up to `timeout` s for requests in flight (0: drop
        them, after a failure: the batch is republished from the tracked position)."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                producer.close(timeout=timeout)
            except KafkaTimeoutError:
                _drop(producer)
            except KafkaError as error:
                log.debug("closing the producer: %s", error)


def _drop(producer: KafkaProducer) -> None:
    """Close a producer whose records could not be delivered, dropping them.

    kafka-python 3.0 flushes inside `close()` and, when records are still pending at the
    timeout, raises before stopping its I/O thread, which then runs (and reconnects) for the
    life of the process. Stopping the thread fails the pending records; the close then ends."""
    producer._sender.force_close()
    producer._sender.join(CLEAN_CLOSE_TIMEOUT)
    with contextlib.suppress(KafkaError):
        producer.close(timeout=0)


class RunningRelay:
    """A relay on its own thread."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="okr-relay", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self.relay.run(self._stop)
        except BaseException as error:  # reported through .error; the thread ends
            self.error = error
            log.exception("relay stopped by an error")

    def lag(self) -> int:
        return self.relay.lag()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        self.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


def start_relay(
    store: Store, config: RelayConfig, *, fault: FaultHook | None = None
) -> RunningRelay:
    """Start publishing on a thread (used by `okr serve` and `okr relay`)."""
    relay = Relay(
        config, database_url=store.database_url, feed=store.feed(), pool=store.pool,
        signal=store.new_event_signal(poll_interval=config.idle_wait), fault=fault,
    )
    return RunningRelay(relay)

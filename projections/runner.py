"""Runs projections: batches of events applied with their tracked position in one transaction.

Exactly once: a batch's rows and the new position commit together, and the tracking row is
locked (`FOR UPDATE`) for the batch, so two runners of the same projection never apply the
same event twice. A handler error stops the runner loudly; the batch rolls back and a
restart resumes from the last committed position.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from eventstore import Store
from eventstore.availability import DatabaseUnavailable
from eventstore.database import one_at_a_time
from eventstore.feed import DATABASE_UNAVAILABLE, EventFeed
from eventstore.tracking import record_position
from projections.base import ProjectionSpec
from projections.registry import select

log = logging.getLogger(__name__)
BATCH_SIZE = 1000


def prepare(conn: psycopg.Connection[Any], specs: list[ProjectionSpec]) -> None:
    """Create every projection's schema and tables and its tracking row, idempotently."""
    with one_at_a_time(conn, "okr_projection_ddl"):
        for spec in specs:
            spec.create(conn)
            conn.execute(
                "INSERT INTO okr_tracking (name, position) VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (spec.tracking_name,),
            )


def process_batch(
    pool: ConnectionPool[Any], feed: EventFeed, spec: ProjectionSpec,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Apply the next batch after the tracked position; the number of events applied."""
    with pool.connection() as conn:
        with conn.transaction():
            # Views are derived: a crash may lose the last batches' commits, rows and
            # position together, and they are simply applied again. No fsync wait needed.
            conn.execute("SET LOCAL synchronous_commit = off")
            row = conn.execute(
                "SELECT position FROM okr_tracking WHERE name = %s FOR UPDATE",
                (spec.tracking_name,),
            ).fetchone()
            position = int(row[0]) if row else 0
            batch = feed.read(position, batch_size)
            if not batch:
                return 0
            with conn.cursor() as cur:
                spec.apply_batch(cur, spec.schema, batch)
                record_position(cur, spec.tracking_name, batch[-1].position)
        return len(batch)


def catch_up(store: Store, names: list[str] | None = None) -> int:
    """Process everything recorded so far, synchronously; the number of events applied."""
    specs = select(names)
    with store.pool.connection() as conn:
        prepare(conn, specs)
    feed, total = store.feed(), 0
    for spec in specs:
        while applied := process_batch(store.pool, feed, spec):
            total += applied
    return total


@dataclass
class ProjectionWorker:
    """One projection following the log in a thread until stopped or failed."""

    spec: ProjectionSpec
    store: Store
    poll_interval: float = 0.5
    coalesce: float = 0.02
    error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"projection-{self.spec.name}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        feed, signal = self.store.feed(), self.store.new_event_signal(self.poll_interval)
        try:
            while not self._stop.is_set():
                try:
                    # A short batch read everything visible: no need to ask again right away
                    # (an empty round costs a transaction); a NOTIFY that came meanwhile is
                    # still pending, so the wait below returns at once.
                    if process_batch(self.store.pool, feed, self.spec) < BATCH_SIZE:
                        signal.wait(self.poll_interval)
                        # Let concurrent writes gather: one batch for many, not one each.
                        self._stop.wait(self.coalesce)
                except DATABASE_UNAVAILABLE as error:
                    # The database, not the handler: the batch rolled back; retry it. (While
                    # it is known to be down, the availability monitor has said so.)
                    if not isinstance(error, DatabaseUnavailable):
                        log.warning("projection %s: database unavailable (%s); retrying",
                                    self.spec.name, error)
                    self._stop.wait(self.poll_interval)
        except BaseException as error:
            self.error = error
            log.exception("projection %s stopped on an error; it resumes from its last "
                          "committed position when restarted", self.spec.name)
        finally:
            signal.close()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


@dataclass
class RunningProjections:
    workers: list[ProjectionWorker]
    store: Store

    @property
    def error(self) -> BaseException | None:
        return next((w.error for w in self.workers if w.error is not None), None)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def join(self, timeout: float | None = None) -> None:
        """Wait for every worker, `timeout` seconds in all."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in self.workers:
            worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def lag(self) -> dict[str, int]:
        return projection_lag(self.store)


def start_projections(
    store: Store, names: list[str] | None = None, poll_interval: float = 0.5
) -> RunningProjections:
    specs = select(names)
    with store.pool.connection() as conn:
        prepare(conn, specs)
    workers = [ProjectionWorker(spec, store, poll_interval) for spec in specs]
    for worker in workers:
        worker.start()
    return RunningProjections(workers, store)


def projection_lag(store: Store) -> dict[str, int]:
    head = store.feed().head()
    with store.pool.connection() as conn:
        rows = conn.execute(
            "SELECT name, position FROM okr_tracking WHERE name LIKE 'projection:%'"
        ).fetchall()
    return {str(name).removeprefix("projection:"): max(0, head - int(pos)) for name, pos in rows}


def wait_for_position(
    pool: ConnectionPool[Any], position: int, timeout: float = 5.0, interval: float = 0.02
) -> bool:
    """Block until every projection has processed `position` (read-your-writes)."""
    deadline = time.monotonic() + timeout
    while True:
        if slowest_position(pool) >= position:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))  # polling a row is the wait itself


def slowest_position(pool: ConnectionPool[Any]) -> int:
    """The least tracked position of the projections; -1 when unknown or unreachable."""
    try:
        with pool.connection() as conn:
            row = conn.execute(
                "SELECT min(position) FROM okr_tracking WHERE name LIKE 'projection:%'"
            ).fetchone()
    except (psycopg.OperationalError, PoolTimeout):
        return -1  # a dropped pooled connection; the pool replaces it, so poll again
    return -1 if row is None or row[0] is None else int(row[0])

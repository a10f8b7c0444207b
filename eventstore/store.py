"""The opened event store: the application on the log, a pool for followers, its URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg_pool import ConnectionPool

from domain.application import OkrApplication
from eventstore.availability import Availability
from eventstore.database import eventsourcing_env, locate
from eventstore.embedded import EmbeddedPostgres
from eventstore.feed import EventFeed, NewEventSignal
from eventstore.horizon import TransactionClock
from eventstore.legacy import legacy_events
from eventstore.seals import ensure_seals_table
from eventstore.tracking import ensure_tracking_table
from eventstore.txtime import LegacyStore


@dataclass
class Store:
    """Everything that reads or writes the log needs, opened once and closed once.

    `availability` watches the database; every pool of the store (and those made with
    `new_pool`) refuses at once while it is unavailable (eventstore/availability.py)."""

    database_url: str
    app: OkrApplication
    pool: ConnectionPool[Any]
    availability: Availability
    embedded: EmbeddedPostgres | None = None
    _closed: bool = field(default=False, init=False)

    def feed(self) -> EventFeed:
        return EventFeed(self.app)

    def new_event_signal(self, poll_interval: float = 1.0) -> NewEventSignal:
        channel = getattr(self.app.recorder, "channel_name", "okrledger_events")
        return NewEventSignal(self.database_url, channel, poll_interval)

    def transaction_clock(self) -> TransactionClock:
        """Reading at an instant: the horizon, positions at an instant, loading sessions."""
        return TransactionClock(self.app.recorder.names)  # type: ignore[attr-defined]

    def new_pool(self, name: str, *, max_size: int, **kwargs: Any) -> ConnectionPool[Any]:
        """Another pool on the store's database, guarded like the store's own (not opened)."""
        pool: ConnectionPool[Any] = ConnectionPool(
            self.database_url, min_size=1, max_size=max_size, open=False, name=name, **kwargs)
        return self.availability.guard(pool)

    def close(self, timeout: float = 2.0) -> None:
        """Close the pools (waiting at most `timeout` for each), then the embedded server."""
        if self._closed:
            return
        self._closed = True
        self.availability.stop()
        self.pool.close(timeout)
        self.app.closing.set()  # what app.close() does, with a bounded wait
        library_pool(self.app).close(timeout)
        if self.embedded is not None:
            self.embedded.stop()


def open_store(
    database_url: str | None, data_dir: Path, *, pool_size: int = 8, legacy: bool = False,
) -> Store:
    """The store at `database_url`, else in an embedded PostgreSQL in `data_dir`.

    Raises StartupError (one line for the operator) when the database cannot be reached. A
    store holding events written before transaction time is refused (`LegacyStore`) unless
    `legacy` (for `okr upgrade`).
    """
    url, embedded = locate(database_url, data_dir)
    availability = Availability(url)
    app: OkrApplication | None = None
    try:
        app = OkrApplication(env=eventsourcing_env(url))
        availability.guard(library_pool(app))
        # Autocommit: reads hold no transaction; writes use explicit `conn.transaction()`.
        pool: ConnectionPool[Any] = availability.guard(ConnectionPool(
            url, min_size=1, max_size=pool_size, open=True, name="okr-views",
            kwargs={"autocommit": True},
        ))
        with pool.connection() as conn:
            ensure_tracking_table(conn)
            ensure_seals_table(conn)
            old = 0 if legacy else legacy_events(conn, app.recorder.names)  # type: ignore[attr-defined]
        if old:
            pool.close()
            raise LegacyStore(f"this event store holds {old} events recorded before "
                              "transaction time: run `okr upgrade` once (docs/projections.md)")
    except BaseException:
        if app is not None:
            app.close()
        if embedded is not None:
            embedded.stop()
        raise
    return Store(database_url=url, app=app, pool=pool, availability=availability.start(),
                 embedded=embedded)


def library_pool(app: OkrApplication) -> ConnectionPool[Any]:
    """The event store library's own pool (the application's reads and writes)."""
    recorder = app.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    return recorder.datastore.pool

"""The opened event store: the application on the log, a pool for followers, its URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool

from domain.application import OkrApplication
from eventstore.database import EmbeddedPostgres, eventsourcing_env, locate
from eventstore.feed import EventFeed, NewEventSignal
from eventstore.tracking import ensure_tracking_table


@dataclass
class Store:
    """Everything that reads or writes the log needs, opened once and closed once."""

    database_url: str
    app: OkrApplication
    pool: ConnectionPool[Any]
    embedded: EmbeddedPostgres | None = None
    _closed: bool = field(default=False, init=False)

    def feed(self) -> EventFeed:
        return EventFeed(self.app)

    def new_event_signal(self, poll_interval: float = 1.0) -> NewEventSignal:
        channel = getattr(self.app.recorder, "channel_name", "okrledger_events")
        return NewEventSignal(self.database_url, channel, poll_interval)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.pool.close()
        self.app.close()
        if self.embedded is not None:
            self.embedded.stop()


def open_store(database_url: str | None, data_dir: Path, *, pool_size: int = 8) -> Store:
    """The store at `database_url`, else in an embedded PostgreSQL in `data_dir`."""
    url, embedded = locate(database_url, data_dir)
    try:
        app = OkrApplication(env=eventsourcing_env(url))
        # Autocommit: reads hold no transaction; writes use explicit `conn.transaction()`.
        pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=True, name="okr-views",
            kwargs={"autocommit": True},
        )
        with pool.connection() as conn:
            ensure_tracking_table(conn)
    except BaseException:
        if embedded is not None:
            embedded.stop()
        raise
    return Store(database_url=url, app=app, pool=pool, embedded=embedded)

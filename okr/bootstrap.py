"""Composition root: settings -> database -> application, built at start, closed at exit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import ConnectionPool

from domain.application import OkrApplication
from okr.database import EmbeddedPostgres, eventsourcing_env
from okr.settings import Settings
from projections.feed import EventFeed, NewEventSignal
from projections.tracking import ensure_tracking_table

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a command of `okr` needs, owned in one place."""

    settings: Settings
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


def resolve_database_url(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value(), None
    embedded = EmbeddedPostgres(settings.data_dir)
    return embedded.start(), embedded


def start_runtime(settings: Settings | None = None, *, pool_size: int = 8) -> Runtime:
    settings = settings or Settings()
    url, embedded = resolve_database_url(settings)
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
    return Runtime(settings=settings, database_url=url, app=app, pool=pool, embedded=embedded)

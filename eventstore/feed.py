"""Following the event store's global log: batched reads, and waiting for new events.

Waiting uses PostgreSQL LISTEN/NOTIFY as a wake-up only and always falls back to polling:
a lost NOTIFY (eventsourcing issue 305) or a dropped listening connection can delay a
follower by at most `poll_interval`, never stall it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing import persistence as es
from eventsourcing.persistence import Notification
from psycopg import sql

from domain.application import OkrApplication
from eventstore.availability import DatabaseUnavailable

log = logging.getLogger(__name__)
# The database, not a follower's own code: psycopg's errors, eventsourcing's (raised by
# the feed after its retries) and the availability monitor's refusal mean "retry the batch
# later", never "skip" or "stop".
DATABASE_UNAVAILABLE = (psycopg.OperationalError, es.OperationalError, es.InterfaceError,
                        DatabaseUnavailable)


@dataclass(frozen=True)
class RecordedEvent:
    """A decoded event with its position in the global log."""

    position: int
    event: Any


class EventFeed:
    """Reads the global log of `app` in position order."""

    def __init__(self, app: OkrApplication) -> None:
        self.app = app

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def read_raw(self, after: int, limit: int, stop: int | None = None) -> Sequence[Notification]:
        """At most `limit` events after position `after` (and up to `stop`, included)."""
        return self.app.recorder.select_notifications(
            start=after, limit=limit, stop=stop, inclusive_of_start=False
        )

    def read(self, after: int, limit: int, stop: int | None = None) -> list[RecordedEvent]:
        to_event = self.app.mapper.to_domain_event
        return [RecordedEvent(n.id, to_event(n)) for n in self.read_raw(after, limit, stop)]


class NewEventSignal:
    """Blocks until the log may have grown: a NOTIFY arrived or `poll_interval` passed."""

    def __init__(self, conninfo: str | None, channel: str, poll_interval: float = 1.0) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self.poll_interval = poll_interval
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._failing = False  # warn once per outage, not once per poll

    def wait(self, timeout: float | None = None) -> None:
        """Return on a notification, or after min(timeout, poll_interval) seconds."""
        limit = self.poll_interval if timeout is None else min(timeout, self.poll_interval)
        conn = self._listening_connection()
        if conn is None:
            threading.Event().wait(limit)
            return
        try:
            for _ in conn.notifies(timeout=limit, stop_after=1):
                break
        except psycopg.Error as error:
            log.warning("lost the LISTEN connection (%s); polling until it is back", error)
            self.close()

    def _listening_connection(self) -> psycopg.Connection[Any] | None:
        if self.conninfo is None:
            return None
        with self._lock:
            if self._conn is None or self._conn.closed:
                try:
                    self._conn = psycopg.connect(self.conninfo, autocommit=True,
                                                 connect_timeout=2)
                    self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self._failing = False
                except psycopg.Error as error:
                    if not self._failing:
                        log.warning("cannot LISTEN (%s); polling instead", error)
                    self._failing = True
                    self._conn = None
            return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

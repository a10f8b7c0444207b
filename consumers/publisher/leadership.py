"""One active publisher per topic: a PostgreSQL session advisory lock on its own connection.

The lock lives as long as the session: when the holder's process dies or its connection
drops, PostgreSQL releases it and a standby's next `acquire()` wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Any

import psycopg

log = logging.getLogger(__name__)


class LeadershipLost(RuntimeError):
    """The connection holding the lock is gone, so the lock may be held by another process."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock` from a name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLock:
    def __init__(self, conninfo: str, name: str) -> None:
        self.conninfo = conninfo
        self.name = name
        self.key = lock_key(name)
        self.held = False
        # One session, kept while standing by too, so a standby does not reconnect per try.
        self._conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        """Try once; True when this process holds the lock (now or already)."""
        if self.held:
            return True
        conn = self._session()
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except psycopg.Error:
            self._drop()
            raise
        self.held = bool(row and row[0])
        if self.held:
            log.info("took the publisher lock %s", self.name)
        return self.held

    def check(self) -> None:
        """Raise LeadershipLost unless the lock's session is still alive."""
        if not self.held or self._conn is None:
            raise LeadershipLost(f"lock {self.name} is not held")
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error as error:
            self._drop()
            raise LeadershipLost(f"lost the connection holding {self.name}: {error}") from error

    def release(self) -> None:
        """Give the lock up and close the session."""
        if self._conn is not None and self.held:
            with contextlib.suppress(psycopg.Error):  # a dead session released it already
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._drop()

    def _session(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10)
            self._conn.execute("SET application_name = 'okr-relay'")
        return self._conn

    def _drop(self) -> None:
        self.held = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None

"""Whether the database answers, known without asking it on every request.

A monitor thread keeps one connection and runs `SELECT 1` every `interval`. While the
database does not answer, the pools it guards refuse at once (`DatabaseUnavailable`)
instead of waiting for a connection (30 s by default, then 10 retries by the event store
library): requests answer 503 in about a second, followers back off, shutdown is quick.
When the database answers again, the guarded pools drop their broken connections and
everything resumes from its tracked position.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from eventstore.startup import cause_of

log = logging.getLogger(__name__)
# Give up a hung attempt after this long; TCP keepalives end a connection to a host gone silent.
PROBE_CONNECT_TIMEOUT = 2
SLICE = 0.25  # a guarded pool waits for a connection in slices, checking the monitor


class DatabaseUnavailable(Exception):
    """The database does not answer now; retry later (HTTP 503 with Retry-After)."""


class Availability:
    """The database's reachability, probed on a thread of its own."""

    def __init__(self, conninfo: str, *, interval: float = 0.5, timeout: float = 1.5) -> None:
        self.conninfo = conninfo
        self.interval = interval
        # A probe that has not succeeded for this long counts as failed, even while hung.
        self.timeout = timeout
        self._last_ok = time.monotonic()
        self._failure: str | None = None
        self._down_since: float | None = None
        self._pools: list[ConnectionPool[Any]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="okr-db-monitor", daemon=True)

    def start(self) -> Availability:
        self._thread.start()
        return self

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    @property
    def up(self) -> bool:
        fresh = time.monotonic() - self._last_ok <= self.interval + self.timeout
        return self._failure is None and fresh

    @property
    def reason(self) -> str:
        """Why the database counts as unavailable ('' while it answers)."""
        if self._failure is not None:
            return self._failure
        if not self.up:
            return f"no answer for {time.monotonic() - self._last_ok:.1f} s"
        return ""

    def require(self) -> None:
        """Raise DatabaseUnavailable unless the database answered lately."""
        if not self.up:
            raise DatabaseUnavailable(f"the database is unavailable ({self.reason}); retry")

    def suspect(self) -> None:
        """Something failed on the database: probe now rather than at the next interval."""
        self._wake.set()

    def guard(self, pool: ConnectionPool[Any]) -> ConnectionPool[Any]:
        """Make `pool` refuse at once while the database is unavailable, and drop its broken
        connections when it is back."""
        getconn: Callable[..., Any] = pool.getconn

        def guarded(timeout: float | None = None) -> Any:
            deadline = time.monotonic() + (pool.timeout if timeout is None else timeout)
            while True:
                self.require()
                try:
                    return getconn(timeout=max(0.0, min(SLICE, deadline - time.monotonic())))
                except PoolTimeout:
                    if time.monotonic() >= deadline:
                        raise
                    self.suspect()

        pool.getconn = guarded  # type: ignore[method-assign]
        if isinstance(pool.kwargs, dict):  # a connection attempt must not hang
            pool.kwargs = {"connect_timeout": PROBE_CONNECT_TIMEOUT, **pool.kwargs}
        self._pools.append(pool)
        return pool

    def _run(self) -> None:
        while not self._stop.is_set():
            self._probe()
            self._wake.wait(self.interval)
            self._wake.clear()
        self._close()

    def _probe(self) -> None:
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                self._query()
            except psycopg.Error as error:
                self._close()
                if reused and attempt == 1:
                    continue  # the server may have restarted: one try on a new connection
                self._failed(cause_of(error))
                return
            self._answered(restarted=attempt == 2)
            return

    def _query(self) -> None:
        if self._conn is None:
            self._conn = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=PROBE_CONNECT_TIMEOUT,
                application_name="okr-monitor", keepalives=1, keepalives_idle=5,
                keepalives_interval=2, keepalives_count=2)
        self._conn.execute("SELECT 1")

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _failed(self, cause: str) -> None:
        if self._failure is None:
            self._down_since = time.monotonic()
            log.warning("the database is unavailable (%s); answering 503 until it is back",
                        cause)
        self._failure = cause

    def _answered(self, *, restarted: bool) -> None:
        self._last_ok = time.monotonic()
        if self._failure is None and not restarted:
            return
        if self._down_since is not None:
            log.warning("the database is available again after %.1f s",
                        time.monotonic() - self._down_since)
        self._failure = self._down_since = None
        for pool in self._pools:
            try:
                pool.check()  # broken connections out, fresh ones in
            except psycopg.Error as error:
                log.warning("checking pool %s: %s", pool.name, error)

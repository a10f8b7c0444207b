"""Reading at an instant on PostgreSQL: the settled horizon, positions at an instant, loading.

An instant T is settled once no event can be recorded at or before it any more (the horizon
has passed it) and the projections have processed `position_at(T)`. The API waits for that
before answering `as_of=T` (api/settle.py); docs/projections.md explains the guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from eventstore.timesql import Names

Conn = psycopg.Connection[Any]
SLOWEST = "(SELECT min(position) FROM okr_tracking WHERE name LIKE %s)"
PROJECTIONS = "projection:%"


@dataclass(frozen=True)
class Horizon:
    settled_until: datetime  # every event that will ever be recorded by then is committed
    loading: bool  # a loading session holds the store (then the horizon did not move)


class TransactionClock:
    """The statements of one events table, run on the caller's connections."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._advance = names.sql("SELECT * FROM {schema}.okr_advance_horizon()")
        self._probe = names.sql(
            "SELECT {schema}.okr_position_at(%s), coalesce(" + SLOWEST + ", -1)")
        self._position_at = names.sql("SELECT {schema}.okr_position_at(%s)")
        self._processed = names.sql("SELECT coalesce(" + SLOWEST + ", -1)")
        self._loading = names.sql(
            "SELECT NOT pg_try_advisory_xact_lock_shared({loading_key}), "
            "EXISTS (SELECT 1 FROM {schema}.{table})")
        self._hold = names.sql("SELECT pg_try_advisory_lock_shared({loading_key})")
        self._release = names.sql("SELECT pg_advisory_unlock_shared({loading_key})")

    def advance(self, conn: Conn) -> Horizon:
        """Wait for the inserts in flight, then move the horizon to the database clock."""
        row = conn.execute(self._advance).fetchone()
        assert row is not None
        return Horizon(settled_until=row[0], loading=bool(row[1]))

    def probe(self, conn: Conn, instant: datetime) -> tuple[int, int]:
        """The last position recorded at or before `instant`, and the projections' least
        position (-1 when unknown)."""
        row = conn.execute(self._probe, (instant, PROJECTIONS)).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def processed(self, conn: Conn) -> int:
        """The projections' least position (-1 when unknown)."""
        row = conn.execute(self._processed, (PROJECTIONS,)).fetchone()
        return int(row[0]) if row else -1

    def position_at(self, conn: Conn, instant: datetime) -> int:
        """The last position recorded at or before `instant` (0: none)."""
        row = conn.execute(self._position_at, (instant,)).fetchone()
        return int(row[0]) if row else 0

    def loading_state(self, conn: Conn) -> tuple[bool, bool]:
        """(a loading session holds the store, the store has events)."""
        row = conn.execute(self._loading).fetchone()
        assert row is not None
        return bool(row[0]), bool(row[1])

    def hold_off_loading(self, conn: Conn) -> bool:
        """Keep a loading session from starting while `conn` reads (False: one holds the
        store already). Release with `release`."""
        row = conn.execute(self._hold).fetchone()
        return bool(row and row[0])

    def release(self, conn: Conn) -> None:
        conn.execute(self._release)

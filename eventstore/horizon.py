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
# The least tracked position of the named followers (`projection:alignment`...).
SLOWEST = "(SELECT min(position) FROM okr_tracking WHERE name = ANY(%s))"


@dataclass(frozen=True)
class Horizon:
    settled_until: datetime  # every event that will ever be recorded by then is committed
    loading: bool  # a loading session holds the store (then the horizon did not move)


@dataclass(frozen=True)
class Probe:
    """One snapshot's view of an instant T.

    When `last_recorded_at` >= T, T is settled in the store already: every later insert is
    recorded after that event, and every event before it is committed (commits follow the
    table lock's order), so `position` is final. Otherwise only the horizon can tell.
    """

    position: int  # the last position recorded at or before T
    last_recorded_at: datetime | None  # of the last event committed
    processed: int  # the least position of the followers asked about (-1 when unknown)

    def passed(self, instant: datetime) -> bool:
        return self.last_recorded_at is not None and self.last_recorded_at >= instant


class TransactionClock:
    """The statements of one events table, run on the caller's connections."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._advance = names.sql("SELECT * FROM {schema}.okr_advance_horizon()")
        self._probe = names.sql(
            "SELECT {schema}.okr_position_at(%s), (SELECT recorded_at FROM {schema}.{table} "
            "WHERE recorded_at IS NOT NULL ORDER BY notification_id DESC LIMIT 1), "
            "coalesce(" + SLOWEST + ", -1)")
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

    def probe(self, conn: Conn, instant: datetime, followers: list[str]) -> Probe:
        """What one snapshot says about `instant` (see `Probe`); `followers`: the tracking
        names of the read models the read uses."""
        row = conn.execute(self._probe, (instant, followers)).fetchone()
        assert row is not None
        return Probe(position=int(row[0]), last_recorded_at=row[1], processed=int(row[2]))

    def processed(self, conn: Conn, followers: list[str]) -> int:
        """The least position of `followers` (-1 when unknown)."""
        row = conn.execute(self._processed, (followers,)).fetchone()
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

"""Opening a report: the position it reflects, the chain hash sealing that position, and its
rows, read in one snapshot.

`reflected_position` is the one place that says which position a report reflects (contract
section 2: as of T, the last position recorded at or before T; a current report, the
projections' position). A report is ready when the projections and the sealer have both
reached that position; its rows then stream from a connection of its own, in a read-only
repeatable-read transaction, so a current report's rows, position and hash agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from eventstore.seals import seal_at, sealed_position
from projections.report_rows.base import ReportParams, ReportSpec, Row

SLOWEST_PROJECTION = (
    "SELECT coalesce(min(position), 0) FROM okr_tracking WHERE name LIKE 'projection:%'")
# The store's transaction time (eventstore/timesql.py): the last position recorded at or
# before the instant, once no event can be recorded by then any more (NULL before that).
SETTLED_POSITION = b"SELECT okr_settled_position(%s)"


def reflected_position(conn: psycopg.Connection[Any], instant: datetime | None) -> int | None:
    """The position a report as of `instant` (None: a current one) reflects; None while
    `instant` is not settled (`conn` in autocommit)."""
    if instant is None:
        row = conn.execute(SLOWEST_PROJECTION.encode()).fetchone()
        return int(row[0]) if row else 0
    row = conn.execute(SETTLED_POSITION, (instant,)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def ready(conn: psycopg.Connection[Any], position: int) -> bool:
    """The projections and the sealer have both processed `position`."""
    row = conn.execute(SLOWEST_PROJECTION.encode()).fetchone()
    projected = int(row[0]) if row else 0
    return projected >= position and sealed_position(conn) >= position


@dataclass
class OpenedReport:
    """A report ready to stream; `rows` holds a connection until exhausted or closed."""

    spec: ReportSpec
    params: ReportParams
    position: int
    chain_hash: str
    rows: Iterator[Row]


def open_report(
    pool: ConnectionPool[Any], spec: ReportSpec, params: ReportParams, position: int
) -> OpenedReport | None:
    """The report at `position` (from `reflected_position`), once `ready`; None when a
    current report's snapshot shows a position not sealed yet (ask again).

    The rows hold a connection of `pool` (autocommit, as the store's) in a read-only
    repeatable-read transaction until they are exhausted or closed."""
    spec.check(params)
    conn = pool.getconn()
    try:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        instant = spec.instant(params)
        if instant is None:
            position = reflected_position(conn, None) or 0
        seal = seal_at(conn, position)
        if seal is None:
            _release(pool, conn)
            return None
        rows = spec.rows(conn, params)
    except BaseException:
        _release(pool, conn)
        raise
    return OpenedReport(spec, params, position, seal.hash.hex(), _closing(rows, pool, conn))


def _closing(rows: Iterator[Row], pool: ConnectionPool[Any],
             conn: psycopg.Connection[Any]) -> Iterator[Row]:
    """The rows, ending the snapshot and giving the connection back at the end, or when
    abandoned."""
    try:
        yield from rows
    finally:
        _release(pool, conn)


def _release(pool: ConnectionPool[Any], conn: psycopg.Connection[Any]) -> None:
    try:
        if not conn.closed:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        pass  # a broken connection: the pool replaces it
    pool.putconn(conn)


def position_if_ready(conn: psycopg.Connection[Any], instant: datetime | None) -> int | None:
    """The position a report as of `instant` reflects, if it is ready to be read."""
    position = reflected_position(conn, instant)
    return position if position is not None and ready(conn, position) else None

"""`okr export` and `GET /v1/export`: the log as NDJSON lines (eventstore/logfile.py), streamed.

Every hash in the file comes from the integrity chain's seals (eventstore/seals.py): the
export first makes sure sealing has reached its last position (sealing what is not sealed
yet itself, through the sealer's own batches, as the relay does), so the header's
`head_hash` is known before the first line and every line streams straight out. The lines
are read in one read-only REPEATABLE READ transaction on a connection of their own, through
a server-side cursor joining each event to its seal: constant memory, and a consistent
prefix of the log however long the export takes while writers go on.

The export does not verify the chain (that is `okr verify`, and the import's check): it
writes what the seals say, so a log changed behind the seals gives a file whose chain does
not verify at the first changed event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import IsolationLevel, sql

from eventstore.canonical import UNREADABLE, canonical_object
from eventstore.logfile import Row, event_line, header
from eventstore.seals import (
    ChainBroken,
    events_table,
    seal_at,
    seal_batch,
    sealed_position,
)
from eventstore.store import Store
from eventstore.txtime import StoreLoading

BATCH = 2000  # rows per cursor fetch, lines per chunk written


class ExportFailed(RuntimeError):
    """The log cannot be exported as it is (a stored event this release cannot read, an
    event without its seal)."""


@dataclass(frozen=True)
class Span:
    """The positions an export covers, and the chain's hash at the last one."""

    first: int
    last: int
    head_hash: bytes


def export_span(store: Store, until_position: int | None = None) -> Span:
    """The exported positions (every event up to `until_position`, default all), once
    sealing has reached the last of them; `StoreLoading` while a loading session writes."""
    feed = store.feed()
    with store.pool.connection() as conn:
        if store.transaction_clock().loading_state(conn)[0]:
            raise StoreLoading("the store is loading (okr demo or import); retry later")
        first, last = _bounds(conn, events_table(feed), until_position)
    try:
        while _sealed(store) < last and seal_batch(store.pool, feed):
            pass  # another sealer may seal meanwhile: the tracking row's lock orders us
    except ChainBroken as error:
        raise ExportFailed(f"{error}: run okr verify") from error
    with store.pool.connection() as conn:
        seal = seal_at(conn, last)
    if seal is None:
        raise ExportFailed(f"position {last} has no seal: run okr verify")
    return Span(first, last, seal.hash)


def _sealed(store: Store) -> int:
    with store.pool.connection() as conn:
        return sealed_position(conn)


def export_lines(
    store: Store, span: Span, *, exported_at: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The header line, then the lines of the events of `span`, in chunks of whole lines."""
    yield header(span.first, span.last, span.head_hash, exported_at)
    with psycopg.connect(store.database_url) as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            lines: list[bytes] = []
            for row, chain_hash in _sealed_rows(conn, events_table(store.feed()), span.last):
                lines.append(event_line(row, _canonical(row), _sealed_hash(row, chain_hash)))
                if len(lines) == BATCH:
                    yield b"".join(lines)
                    lines.clear()
                    if on_progress is not None:
                        on_progress(row.position)
            yield b"".join(lines)
    if on_progress is not None:
        on_progress(span.last)


def _canonical(row: Row) -> dict[str, Any]:
    try:
        return canonical_object(row)
    except UNREADABLE as error:
        raise ExportFailed(f"the event at position {row.position} is not readable as an "
                           f"event of this release: {error}") from error


def _sealed_hash(row: Row, chain_hash: bytes | None) -> bytes:
    if chain_hash is None:
        raise ExportFailed(f"the event at position {row.position} has no seal (inserted "
                           "around the sealer): run okr verify")
    return chain_hash


def _bounds(conn: psycopg.Connection[Any], table: sql.Composable,
            until: int | None) -> tuple[int, int]:
    query = sql.SQL("SELECT min(notification_id), max(notification_id) FROM {} "
                    "WHERE notification_id <= %s").format(table)
    row = conn.execute(query, (until if until is not None else 2**63 - 1,)).fetchone()
    assert row is not None
    return (row[0] or 0), (row[1] or 0)


def _sealed_rows(conn: psycopg.Connection[Any], table: sql.Composable,
                 last: int) -> Iterator[tuple[Row, bytes | None]]:
    query = sql.SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        "s.hash FROM {} e LEFT JOIN okr_integrity_seals s ON s.position = e.notification_id "
        "WHERE e.notification_id <= %s ORDER BY e.notification_id").format(table)
    with conn.cursor(name="okr_export", binary=True) as cursor:
        cursor.itersize = BATCH
        cursor.execute(query, (last,))
        for position, originator_id, version, topic, state, chain_hash in cursor:
            yield (Row(position, originator_id, version, topic, bytes(state)),
                   None if chain_hash is None else bytes(chain_hash))

"""`okr export` and `GET /v1/export`: the log as NDJSON lines (eventstore/logfile.py), streamed.

One read-only REPEATABLE READ transaction on a connection of its own gives every line the
same snapshot of the log, however long the export takes, while writers go on. Rows come
through a server-side cursor in batches, and lines go to a temporary file until the chain's
head (the header's) is known, then leave as a generator: memory stays constant whatever the
length of the log.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import psycopg
from psycopg import IsolationLevel, sql

from eventstore.chain import GENESIS, UNREADABLE, canonical_object, link
from eventstore.logfile import Row, event_line, header

BATCH = 2000
CHUNK = 1 << 20


class ExportFailed(RuntimeError):
    """A stored event this release cannot read as one of its events."""


def log_table(app: Any) -> sql.Composed:
    """The qualified events table of the application's recorder."""
    recorder = app.recorder
    return sql.SQL("{}.{}").format(sql.Identifier(recorder.datastore.schema),
                                   sql.Identifier(recorder.events_table_name))


def export_lines(
    database_url: str, table: sql.Composable, *, until_position: int | None = None,
    exported_at: datetime | None = None, on_progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The header line, then the event lines up to `until_position` (default: all), in
    chunks of whole lines."""
    with psycopg.connect(database_url) as conn, tempfile.TemporaryFile() as spool:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            first, last = _bounds(conn, table, until_position)
            # The header names the chain's head, known once every event is hashed: the
            # lines wait in a temporary file meanwhile (constant memory), each event read
            # and hashed once. With the sealer's seals the head is one lookup (chain.py).
            head = GENESIS
            for row in _rows(conn, table, last):
                try:
                    canonical = canonical_object(row)
                except UNREADABLE as error:
                    raise ExportFailed(f"the event at position {row.position} is not readable "
                                       f"as an event of this release: {error}") from error
                head = link(head, row, canonical)
                spool.write(event_line(row, canonical, head))
                if on_progress is not None and row.position % BATCH == 0:
                    on_progress(row.position)
        yield header(first, last, head, exported_at)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
    if on_progress is not None:
        on_progress(last)


def _bounds(conn: psycopg.Connection[Any], table: sql.Composable,
            until: int | None) -> tuple[int, int]:
    query = sql.SQL("SELECT min(notification_id), max(notification_id) FROM {} "
                    "WHERE notification_id <= %s").format(table)
    row = conn.execute(query, (until if until is not None else 2**63 - 1,)).fetchone()
    assert row is not None
    return (row[0] or 0), (row[1] or 0)


def _rows(conn: psycopg.Connection[Any], table: sql.Composable, last: int) -> Iterator[Row]:
    query = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
        "WHERE notification_id <= %s ORDER BY notification_id").format(table)
    with conn.cursor(name="okr_export", binary=True) as cursor:
        cursor.itersize = BATCH
        cursor.execute(query, (last,))
        for position, originator_id, version, topic, state in cursor:
            yield Row(position, originator_id, version, topic, bytes(state))

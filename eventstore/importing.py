"""`okr import`: an exported log (eventstore/logfile.py) into an empty store, all or nothing.

One transaction on a connection of its own: it locks the events table against writers,
refuses a store that holds any event, then checks each line (eventstore/logcheck.py) and
COPYs its stored record with its own position, and only when the whole file has passed
(the header's last position reached, the chain's head equal to the header's) sets the
position sequence and commits. A refusal, an error or a killed process rolls everything
back: readers never see part of a file, and the store stays empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from eventstore.export import BATCH, log_table
from eventstore.logcheck import ImportRefused, LogCheck


@dataclass(frozen=True)
class Imported:
    events: int
    first_position: int
    last_position: int
    head_hash: str


def import_log(
    database_url: str, app: Any, lines: Iterable[bytes],
    on_progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Store the events of `lines` (a header, then events) with their positions.

    `on_progress(events checked, events announced)` is called every few thousand events.
    Raises `ImportRefused` (nothing stored) when the file or the store does not qualify.
    """
    check, stream = LogCheck(), iter(lines)
    first = next(stream, None)
    if first is None:
        raise ImportRefused("the file is empty", 1)
    check.header(first)
    table = log_table(app)
    announced = check.last - check.first + 1 if check.last else 0
    with psycopg.connect(database_url) as conn, conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '5s'")
        conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
        if conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(table)).fetchone() \
                != (False,):
            raise ImportRefused("the event store is not empty: import only into an empty one", 1)
        copy_statement = sql.SQL(
            "COPY {} (notification_id, originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)").format(table)
        with conn.cursor() as cursor, cursor.copy(copy_statement) as copy:
            copy.set_types(["int8", "uuid", "int8", "text", "bytea"])
            for raw in stream:
                row = check.event(raw).row
                copy.write_row((row.position, row.originator_id, row.originator_version,
                                row.topic, row.state))
                if on_progress is not None and check.count % BATCH == 0:
                    on_progress(check.count, announced)
        check.finish()
        if check.last:
            _continue_positions(conn, app, check.last)
    if on_progress is not None:
        on_progress(check.count, check.count)
    return Imported(check.count, check.first, check.last, check.head)


def _continue_positions(conn: psycopg.Connection[Any], app: Any, last: int) -> None:
    """The next event recorded gets the position after the file's last; followers wake."""
    recorder = app.recorder
    conn.execute("SELECT setval(pg_get_serial_sequence(format('%%I.%%I', %s::text, %s::text), "
                 "'notification_id'), %s)",
                 (recorder.datastore.schema, recorder.events_table_name, last))
    conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(recorder.channel_name)))

"""`okr import`: an exported log (eventstore/logfile.py) into a new store, all or nothing.

It runs inside a loading session (eventstore/txtime.py): while it runs, reads answer 503 and
every other writer is refused at once, and only it writes past times. The work is one
transaction on a connection of its own: it refuses a store that was used before, then
checks each line (eventstore/logcheck.py: order, versions, types, times, the chain) while
COPYing its stored record with its own position and `recorded_at` (the time its state
holds). Only when the whole file has passed (its last position reached, the
chain's head equal to the header's) does it write the chain's seals (the hashes it has just
checked, so the store is sealed as the sealer would have sealed it), set the position
sequence, mark the store as recording transaction time (`adopted`: no `okr upgrade`) and
commit. A refusal, an error or a killed process rolls everything back: readers never see
part of a file, and the store stays empty.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import psycopg
from psycopg import sql

from eventstore.logcheck import ImportRefused, LogCheck
from eventstore.seals import TRACKING_NAME, events_table
from eventstore.store import Store
from eventstore.tracking import record_position
from eventstore.txtime import LoadRefused, loading

BATCH = 2000  # events between progress reports
SEAL = struct.Struct(">q32s")  # a spooled seal: position, hash


@dataclass(frozen=True)
class Imported:
    events: int
    first_position: int
    last_position: int
    head_hash: str


def import_log(
    store: Store, lines: Iterable[bytes],
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
    _refuse_a_used_store(store)
    try:
        with loading(store.app), tempfile.TemporaryFile() as seals:
            _import(store, check, stream, seals, on_progress)
    except LoadRefused as error:
        raise ImportRefused(str(error), 1) from None
    if on_progress is not None:
        on_progress(check.count, check.count)
    return Imported(check.count, check.first, check.last, check.head)


def _import(store: Store, check: LogCheck, stream: Iterator[bytes], seals: IO[bytes],
            on_progress: Callable[[int, int], None] | None) -> None:
    table = events_table(store.feed())
    announced = check.last - check.first + 1 if check.last else 0
    # No table lock of its own: the loading session keeps every other writer out, and the
    # insert function refuses them before queueing on the table, which the COPY holds (ROW
    # EXCLUSIVE) until the commit.
    with psycopg.connect(store.database_url) as conn, conn.transaction():
        _refuse_a_used_store(store, conn)
        statement = sql.SQL(
            "COPY {} (notification_id, originator_id, originator_version, topic, state, "
            "recorded_at) FROM STDIN (FORMAT BINARY)").format(table)
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(["int8", "uuid", "int8", "text", "bytea", "timestamptz"])
            for raw in stream:
                event = check.event(raw)
                row = event.row
                copy.write_row((row.position, row.originator_id, row.originator_version,
                                row.topic, row.state, event.recorded_at))
                seals.write(SEAL.pack(row.position, event.chain_hash))
                if on_progress is not None and check.count % BATCH == 0:
                    on_progress(check.count, announced)
        check.finish()
        if check.last:
            _seal(conn, seals, check.last)
            _continue(conn, store, check.last)


def _refuse_a_used_store(store: Store, conn: psycopg.Connection[Any] | None = None) -> None:
    """Only a new store: no event, and nothing derived from an earlier log (snapshots,
    seals, followers' positions) that would not match the imported one."""
    if conn is None:
        with store.pool.connection() as pooled:
            events, derived = pooled.execute(_used_statement(store)).fetchone() or (0, 0)
    else:
        events, derived = conn.execute(_used_statement(store)).fetchone() or (0, 0)
    if events:
        raise ImportRefused("the event store is not empty: import only into an empty one", 1)
    if derived:
        raise ImportRefused("the store was used before (snapshots, seals or followers' "
                            "positions remain): import only into a new store", 1)


def _used_statement(store: Store) -> sql.Composed:
    snapshots: Any = store.app.snapshots
    recorder = snapshots.recorder if snapshots is not None else None
    return sql.SQL(
        "SELECT EXISTS (SELECT FROM {events}), {snapshots} "
        "OR EXISTS (SELECT FROM okr_integrity_seals) "
        "OR EXISTS (SELECT FROM okr_tracking WHERE position > 0)").format(
        events=events_table(store.feed()),
        snapshots=sql.SQL("false") if recorder is None else sql.SQL(
            "EXISTS (SELECT FROM {})").format(sql.Identifier(
                recorder.datastore.schema or "public", recorder.events_table_name)))


def _seal(conn: psycopg.Connection[Any], spooled: IO[bytes], last: int) -> None:
    """The seals of the imported events: the chain the check has just recomputed."""
    spooled.seek(0)
    with conn.cursor() as cursor:
        with cursor.copy("COPY okr_integrity_seals (position, hash) FROM STDIN "
                         "(FORMAT BINARY)") as copy:
            copy.set_types(["int8", "bytea"])
            while chunk := spooled.read(SEAL.size * 4096):
                for position, digest in SEAL.iter_unpack(chunk):
                    copy.write_row((position, digest))
        record_position(cursor, TRACKING_NAME, last)


def _continue(conn: psycopg.Connection[Any], store: Store, last: int) -> None:
    """The next event recorded gets the position after the file's last, at a time after its
    time; the store records transaction time from now on; followers wake up."""
    recorder: Any = store.app.recorder
    conn.execute("SELECT setval(pg_get_serial_sequence(format('%%I.%%I', %s::text, %s::text), "
                 "'notification_id'), %s)",
                 (recorder.datastore.schema, recorder.events_table_name, last))
    conn.execute(recorder.names.sql(
        "UPDATE {schema}.{clock} SET adopted = true, legacy_last = NULL, legacy_until = NULL"))
    conn.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(recorder.channel_name)))

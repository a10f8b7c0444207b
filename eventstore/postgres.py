"""The event store's recorder: eventsourcing's PostgreSQL recorder, one round trip per save.

eventsourcing's default insert takes `LOCK TABLE ... IN EXCLUSIVE MODE` (so positions become
visible in commit order: followers never pass over a gap filled in later), NOTIFYs, inserts,
then sends `COMMIT` in a second round trip. The lock is held while the result travels back
to Python and the writing thread waits for the GIL to send `COMMIT`: in a busy process that
wait, not the database, bounds the writes per second, since every writer queues on the lock.

This recorder does the same work in one server-side function, called as one autocommit
statement: lock, NOTIFY, insert, and the commit (synchronous, as configured) follow each
other inside PostgreSQL, so the lock is held for the insert and the WAL flush only. Same
lock, same commit order, same durability; unique violations still raise `IntegrityError`.

The two statements every command runs (select an aggregate's newer events, insert) are
rendered to bytes once: the library composes them as `psycopg.sql` objects, whose rendering
on every call cost more CPU than the rest of the round trip.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import register_topic, retry
from psycopg import Connection
from psycopg.sql import SQL, Composable, Identifier

from domain.results import CommandKey, CommandResult, KeyedResult
from eventstore.timesql import Names, dropped_functions, function_statements, table_statements
from eventstore.txtime import (
    LEGACY_SQLSTATE,
    LOAD_REFUSED_SQLSTATE,
    LOADING_SQLSTATE,
    LegacyStore,
    LoadRefused,
    Positions,
    StoreLoading,
    provisional,
)

REFUSALS: dict[str, type[Exception]] = {
    LOADING_SQLSTATE: StoreLoading, LOAD_REFUSED_SQLSTATE: LoadRefused,
    LEGACY_SQLSTATE: LegacyStore,
}


class LockedInsertRecorder(PostgresApplicationRecorder):
    """Inserts through `okr_insert_events_<type>()`: lock, time, notify and insert in one call.

    The function gives every event its `recorded_at` (txtime.py, timesql.py): the database
    clock's time, strictly after the last event's, or, while `loading` (a loading session),
    the times the states were encoded with.

    `unchanged_reads` ({aggregate id: version}) names aggregates the events were decided
    on without changing them: when any has a newer event, nothing is inserted and
    `IntegrityError` is raised, as for a conflicting version (see domain/batching.py).
    `command_results` (`KeyedResult`s) are recorded in the same transaction, each with the
    position of its command's last event; a key recorded before raises `IntegrityError`.
    """

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.names = Names(
            schema=self.datastore.schema, table=self.events_table_name,
            event_type=self.stored_event_type_name, id_type=self.datastore.originator_id_type,
            channel=self.channel_name, lock_timeout=self.datastore.lock_timeout,
        )
        self.loading = False
        # Our own name: the library's es_insert_events_* function (no lock) stays untouched.
        self.pg_function_name_insert_events = self.names.insert_function
        self.sql_invoke_pg_function_insert_events = SQL(
            "SELECT * FROM {schema}.{function}((%s), (%s)::text[], (%s)::timestamptz[], (%s), "
            "(%s), (%s), (%s), (%s), (%s), (%s), (%s))"
        ).format(schema=Identifier(self.names.schema),
                 function=Identifier(self.names.insert_function))
        results = self.names.sql(
            "CREATE TABLE IF NOT EXISTS {schema}.{results} (owner text NOT NULL, "
            "key text NOT NULL, fingerprint text NOT NULL, result jsonb NOT NULL, "
            "recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (owner, key))")
        index = self.create_insert_function_statement_index
        self.sql_create_statements[index:index + 1] = [
            results, *table_statements(self.names), *dropped_functions(self.names),
            *function_statements(self.names),
        ]
        # The library runs these in one transaction: processes starting together take turns
        # (concurrent CREATE OR REPLACE FUNCTION can fail with "tuple concurrently updated").
        self.sql_create_statements.insert(0, SQL(
            "SELECT pg_advisory_xact_lock(hashtext('okr_recorder_ddl'))").format())
        self.sql_select_command_result = self.names.sql(
            "SELECT fingerprint, result::text FROM {schema}.{results} "
            "WHERE owner = %s AND key = %s")
        self._rendered: dict[tuple[object, ...], bytes] = {}

    def _render(self, conn: Connection[Any], key: tuple[object, ...],
                statement: Composable) -> bytes:
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = self._rendered[key] = statement.as_bytes(conn)
        return rendered

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        rows = [
            self.construct_pg_stored_event(
                originator_id=e.originator_id, originator_version=e.originator_version,
                topic=e.topic, state=e.state,
            )
            for e in stored_events
        ]
        stamps = [provisional(e.state) for e in stored_events]
        reads: dict[UUID, int] = kwargs.get("unchanged_reads") or {}
        keyed: list[KeyedResult] = kwargs.get("command_results") or []
        params = (rows, [s.placeholder for s in stamps], [s.not_before for s in stamps],
                  self.loading, list(reads), list(reads.values()),
                  [k.owner for k, _, _ in keyed], [k.key for k, _, _ in keyed],
                  [k.fingerprint for k, _, _ in keyed],
                  [result.to_json() for _, result, _ in keyed], [last for _, _, last in keyed])
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                query = self._render(conn, ("insert",), self.sql_invoke_pg_function_insert_events)
                curs.execute(query, params, prepare=True)
                recorded = curs.fetchall()
        except PersistenceError as error:
            refusal = REFUSALS.get(getattr(error.__cause__, "sqlstate", None) or "")
            if refusal is None:
                raise
            raise refusal(str(error)) from error
        return Positions([r["event_position"] for r in recorded],
                         [r["event_recorded_at"] for r in recorded])

    @contextmanager
    def loading_session(self) -> Iterator[None]:
        """Hold the loading lock on a connection of our own, in an empty store, meanwhile
        inserting the events' own times (a crashed loader's session releases the lock)."""
        key = self.names.loading_key
        with self.datastore.get_connection() as conn:
            try:
                with conn.transaction():
                    conn.execute("SET LOCAL lock_timeout = '5s'")
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            except psycopg.errors.LockNotAvailable:
                raise LoadRefused("another loading session holds the store") from None
            try:
                if self.max_notification_id():
                    raise LoadRefused("the event store is not empty; loading needs an empty one")
                self.loading = True
                yield
            finally:
                self.loading = False
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_command_result(self, key: CommandKey) -> tuple[str, CommandResult] | None:
        """The fingerprint and result recorded under `key`, if any."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._render(conn, ("result",), self.sql_select_command_result),
                         (key.owner, key.key), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return str(row["fingerprint"]), CommandResult.from_json(str(row["result"]))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self, originator_id: UUID | str, *, gt: int | None = None, lte: int | None = None,
        desc: bool = False, limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        key = ("select", gt is not None, lte is not None, desc, limit is not None)
        params = [originator_id, *(v for v in (gt, lte, limit) if v is not None)]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            query = self._render(conn, key, self._select_statement(*key[1:]))
            curs.execute(query, params, prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"], state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def _select_statement(self, *shape: object) -> Composable:
        has_gt, has_lte, desc, has_limit = shape
        statement: Composable = self.select_events_statement
        if has_gt:
            statement += SQL(" AND originator_version > %s")
        if has_lte:
            statement += SQL(" AND originator_version <= %s")
        statement += SQL(" ORDER BY originator_version DESC" if desc else
                         " ORDER BY originator_version ASC")
        if has_limit:
            statement += SQL(" LIMIT %s")
        return statement


# The recorder's topic before it moved here: a configured APPLICATION_RECORDER_TOPIC (or a
# rebuild worker's copy of the environment) may still name it.
register_topic("okr.eventstore:LockedInsertRecorder", LockedInsertRecorder)

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

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import register_topic, retry
from psycopg import Connection
from psycopg.sql import SQL, Composable, Identifier

from domain.results import CommandKey, CommandResult, KeyedResult

# An integrity-class SQLSTATE of our own, so the store reports it as `IntegrityError`.
STALE_READ = "23K01"


class LockedInsertRecorder(PostgresApplicationRecorder):
    """Inserts through `okr_insert_events_<type>()`: lock, notify and insert in one call.

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
        schema = Identifier(self.datastore.schema)
        table = Identifier(self.events_table_name)
        # Our own name: the library's es_insert_events_* function (no lock) stays untouched.
        self.pg_function_name_insert_events = (
            f"okr_insert_events_{self.datastore.originator_id_type}"
        )
        function = Identifier(self.pg_function_name_insert_events)
        results = Identifier(
            self.events_table_name.removesuffix("_events") + "_command_results")
        self.sql_invoke_pg_function_insert_events = SQL(
            "SELECT * FROM {schema}.{function}((%s), (%s), (%s), (%s), (%s), (%s), (%s), (%s))"
        ).format(schema=schema, function=function)
        self.sql_create_pg_function_insert_events = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[], "
            "read_ids {id_type}[], read_versions bigint[], result_owners text[], "
            "result_keys text[], result_fingerprints text[], results text[], "
            "result_last_events integer[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "DECLARE ids bigint[]; "
            "BEGIN "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "IF EXISTS (SELECT 1 FROM unnest(read_ids, read_versions) AS r(id, version) "
            "JOIN {schema}.{table} t ON t.originator_id = r.id "
            "AND t.originator_version > r.version) THEN "
            "RAISE EXCEPTION 'an aggregate read by these commands has changed' "
            "USING ERRCODE = '{stale_read}'; "
            "END IF; "
            "NOTIFY {channel}; "
            "WITH inserted AS (INSERT INTO {schema}.{table} "
            "(originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
            "RETURNING notification_id) "
            "SELECT array_agg(notification_id ORDER BY notification_id) INTO ids "
            "FROM inserted; "
            # Each keyed command's result, its position being that of its last event.
            "INSERT INTO {schema}.{results} (owner, key, fingerprint, result) "
            "SELECT o, k, f, jsonb_set(r::jsonb, ARRAY['position'], to_jsonb(ids[l + 1])) "
            "FROM unnest(result_owners, result_keys, result_fingerprints, results, "
            "result_last_events) AS x(o, k, f, r, l); "
            "RETURN QUERY SELECT unnest(ids); "
            "END; $BODY$"
        ).format(
            schema=schema, function=function, table=table, results=results,
            event=Identifier(self.stored_event_type_name),
            id_type=SQL(self.datastore.originator_id_type),
            lock_timeout=self.datastore.lock_timeout,
            channel=Identifier(self.channel_name),
            stale_read=SQL(STALE_READ),
        )
        index = self.create_insert_function_statement_index
        self.sql_create_statements[index] = self.sql_create_pg_function_insert_events
        # Earlier stores had functions of the same name with fewer arguments.
        event = Identifier(self.stored_event_type_name)
        for arguments in (SQL("{schema}.{event}[]"),
                          SQL("{schema}.{event}[], {id_type}[], bigint[]")):
            self.sql_create_statements.insert(index, SQL(
                "DROP FUNCTION IF EXISTS {schema}.{function}({arguments})"
            ).format(schema=schema, function=function, arguments=arguments.format(
                schema=schema, event=event, id_type=SQL(self.datastore.originator_id_type))))
        self.sql_create_statements.insert(index, SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{results} (owner text NOT NULL, "
            "key text NOT NULL, fingerprint text NOT NULL, result jsonb NOT NULL, "
            "recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (owner, key))"
        ).format(schema=schema, results=results))
        self.sql_select_command_result = SQL(
            "SELECT fingerprint, result::text FROM {schema}.{results} "
            "WHERE owner = %s AND key = %s"
        ).format(schema=schema, results=results)
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
        reads: dict[UUID, int] = kwargs.get("unchanged_reads") or {}
        keyed: list[KeyedResult] = kwargs.get("command_results") or []
        params = (rows, list(reads), list(reads.values()), [k.owner for k, _, _ in keyed],
                  [k.key for k, _, _ in keyed], [k.fingerprint for k, _, _ in keyed],
                  [result.to_json() for _, result, _ in keyed], [last for _, _, last in keyed])
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            query = self._render(conn, ("insert",), self.sql_invoke_pg_function_insert_events)
            curs.execute(query, params, prepare=True)
            return [row[self.pg_function_name_insert_events] for row in curs.fetchall()]

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

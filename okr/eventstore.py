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
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL, Identifier


class LockedInsertRecorder(PostgresApplicationRecorder):
    """Inserts through `okr_insert_events_<type>()`: lock, notify and insert in one call."""

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
        self.sql_invoke_pg_function_insert_events = SQL(
            "SELECT * FROM {schema}.{function}((%s))"
        ).format(schema=schema, function=function)
        self.sql_create_pg_function_insert_events = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "RETURN QUERY INSERT INTO {schema}.{table} AS t "
            "(originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
            "RETURNING notification_id; "
            "END; $BODY$"
        ).format(
            schema=schema, function=function, table=table,
            event=Identifier(self.stored_event_type_name),
            lock_timeout=self.datastore.lock_timeout,
            channel=Identifier(self.channel_name),
        )
        self.sql_create_statements[self.create_insert_function_statement_index] = (
            self.sql_create_pg_function_insert_events
        )

"""What a projection is: a named set of tables in its own schema, and event handlers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg import sql

from domain.base import EventClass
from eventstore.feed import RecordedEvent

Handler = Callable[[psycopg.Cursor[Any], str, RecordedEvent], None]
BatchHandler = Callable[[psycopg.Cursor[Any], str, list[RecordedEvent]], None]


class RebuildSession(Protocol):
    """Applies a whole rebuild into a fresh shadow schema, batch after batch.

    A session may keep state in memory between batches (the shadow is invisible until the
    swap, and a failed rebuild starts over from an empty shadow); `finish` writes whatever it
    deferred, inside the swap's transaction.
    """

    def apply(self, cur: psycopg.Cursor[Any], batch: list[RecordedEvent]) -> None: ...

    def finish(self, cur: psycopg.Cursor[Any]) -> None: ...


def is_index(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))


@dataclass(frozen=True)
class ProjectionSpec:
    """A read model: its tables (DDL with `{s}` for the schema), one handler per event class
    it needs, and the event classes it ignores on purpose (tests/unit/test_followers.py)."""

    name: str
    ddl: tuple[str, ...]
    handlers: Mapping[EventClass, Handler] = field(default_factory=dict)
    ignores: frozenset[EventClass] = frozenset()
    batch_handler: BatchHandler | None = None
    rebuild_session: Callable[[str], RebuildSession] | None = None
    # Relative cost of projecting one event in a rebuild (measured with py-spy): rebuilds
    # balance the projections over worker processes with it.
    rebuild_cost: float = 1.0

    @property
    def schema(self) -> str:
        return f"okr_v_{self.name}"

    @property
    def tracking_name(self) -> str:
        return f"projection:{self.name}"

    def create(
        self, conn: psycopg.Connection[Any], schema: str | None = None, *, indexes: bool = True
    ) -> None:
        """The schema and tables; without `indexes`, no secondary indexes (bulk loads)."""
        target = schema or self.schema
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(target)))
        for statement in self.ddl:
            if indexes or not is_index(statement):
                conn.execute(statement.format(s=target).encode())

    def create_indexes(self, conn: psycopg.Connection[Any], schema: str | None = None) -> None:
        """The secondary indexes (after a bulk load into tables created without them)."""
        target = schema or self.schema
        for statement in self.ddl:
            if is_index(statement):
                conn.execute(statement.format(s=target).encode())

    def session(self, schema: str) -> RebuildSession:
        """How a rebuild applies its batches into `schema`, a fresh, empty shadow."""
        if self.rebuild_session is not None:
            return self.rebuild_session(schema)
        return self.incremental(schema)

    def incremental(self, schema: str) -> RebuildSession:
        """Batches applied by the everyday handlers, which read what they need from `schema`
        (for the events recorded after a rebuild's bulk load, whose session has finished)."""
        return _BatchSession(self, schema)

    def apply(self, cur: psycopg.Cursor[Any], schema: str, recorded: RecordedEvent) -> None:
        handler = self.handlers.get(type(recorded.event))
        if handler is not None:
            handler(cur, schema, recorded)

    def apply_batch(
        self, cur: psycopg.Cursor[Any], schema: str, batch: list[RecordedEvent]
    ) -> None:
        """Apply events in order; projections may supply a faster set-based handler."""
        if self.batch_handler is not None:
            self.batch_handler(cur, schema, batch)
            return
        for recorded in batch:
            self.apply(cur, schema, recorded)


@dataclass
class _BatchSession:
    spec: ProjectionSpec
    schema: str

    def apply(self, cur: psycopg.Cursor[Any], batch: list[RecordedEvent]) -> None:
        self.spec.apply_batch(cur, self.schema, batch)

    def finish(self, cur: psycopg.Cursor[Any]) -> None:
        pass


def q(statement: str, schema: str) -> bytes:
    """SQL text with the projection's schema filled in (schema names are our own constants)."""
    return statement.format(s=schema).encode()

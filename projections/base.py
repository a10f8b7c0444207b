"""What a projection is: a named set of tables in its own schema, and event handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from projections.feed import RecordedEvent

Handler = Callable[[psycopg.Cursor[Any], str, RecordedEvent], None]
BatchHandler = Callable[[psycopg.Cursor[Any], str, list[RecordedEvent]], None]


def event_key(event: Any) -> str:
    """`KeyResult.CheckedIn`: the dispatch key of a stored event."""
    return type(event).__qualname__


@dataclass(frozen=True)
class ProjectionSpec:
    """A read model: its tables (DDL with `{s}` for the schema) and one handler per event."""

    name: str
    ddl: tuple[str, ...]
    handlers: dict[str, Handler] = field(default_factory=dict)
    batch_handler: BatchHandler | None = None

    @property
    def schema(self) -> str:
        return f"okr_v_{self.name}"

    @property
    def tracking_name(self) -> str:
        return f"projection:{self.name}"

    def create(self, conn: psycopg.Connection[Any], schema: str | None = None) -> None:
        target = schema or self.schema
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(target)))
        for statement in self.ddl:
            conn.execute(statement.format(s=target).encode())

    def apply(self, cur: psycopg.Cursor[Any], schema: str, recorded: RecordedEvent) -> None:
        handler = self.handlers.get(event_key(recorded.event))
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


def q(statement: str, schema: str) -> bytes:
    """SQL text with the projection's schema filled in (schema names are our own constants)."""
    return statement.format(s=schema).encode()

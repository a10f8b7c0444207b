"""Rebuild read models from the event store into fresh tables, swapped in when caught up.

One pass over the log feeds every projection being rebuilt, each into a shadow schema.
Readers keep seeing the old tables until one short transaction, holding the projections'
tracking rows, applies the last events recorded meanwhile, drops the old schemas, renames
the shadows into place and sets the tracked positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg import sql

from projections.base import ProjectionSpec, RebuildSession
from projections.feed import EventFeed, RecordedEvent
from projections.registry import select
from projections.runner import RuntimeLike, prepare

Progress = Callable[[str, int, int], None]
REBUILD_BATCH = 5000


def _shadow(spec: ProjectionSpec) -> str:
    return f"{spec.schema}_rebuild"


def _batches(feed: EventFeed, position: int) -> Iterator[list[RecordedEvent]]:
    """The log after `position` in batches; the next batch is read and decoded on a thread
    while the caller applies the current one (the database does most of that work)."""
    with ThreadPoolExecutor(1, thread_name_prefix="okr-rebuild-read") as reader:
        pending = reader.submit(feed.read, position, REBUILD_BATCH)
        while batch := pending.result():
            pending = reader.submit(feed.read, batch[-1].position, REBUILD_BATCH)
            yield batch


def _apply_batches(
    conn: psycopg.Connection[Any], feed: EventFeed, specs: list[ProjectionSpec],
    sessions: list[RebuildSession], position: int, on_progress: Progress, *,
    bulk: bool = False,
) -> int:
    head = feed.head()
    for batch in _batches(feed, position):
        with conn.transaction(), conn.cursor() as cur:
            if bulk:  # Only the swap's commit must be durable: a crash before it discards
                cur.execute("SET LOCAL synchronous_commit = off")  # the shadow anyway.
            for session in sessions:
                session.apply(cur, batch)
        position = batch[-1].position
        for spec in specs:
            on_progress(spec.name, position, max(head, position))
    return position


def _swap(conn: psycopg.Connection[Any], spec: ProjectionSpec, position: int) -> None:
    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(spec.schema)))
    conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
        sql.Identifier(_shadow(spec)), sql.Identifier(spec.schema)))
    conn.execute("UPDATE okr_tracking SET position = %s, updated_at = now() WHERE name = %s",
                 (position, spec.tracking_name))


def rebuild(
    runtime: RuntimeLike, names: list[str] | None = None,
    on_progress: Progress = lambda name, done, total: None,
) -> dict[str, int]:
    """Rebuild the named projections (default: all); the position each is rebuilt to.

    The shadow tables are bulk-loaded without their secondary indexes, which are built once
    afterwards, before the swap.
    """
    specs, feed = select(names), runtime.feed()
    with runtime.pool.connection() as conn:
        prepare(conn, specs)
        for spec in specs:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(_shadow(spec))))
            with conn.transaction():
                spec.create(conn, _shadow(spec), indexes=False)
        sessions = [spec.session(_shadow(spec)) for spec in specs]
        position = _apply_batches(conn, feed, specs, sessions, 0, on_progress, bulk=True)
        with conn.transaction():
            for spec in specs:
                spec.create_indexes(conn, _shadow(spec))
        with conn.transaction():
            conn.execute("SELECT position FROM okr_tracking WHERE name = ANY(%s) FOR UPDATE",
                         ([s.tracking_name for s in specs],))
            position = _apply_batches(conn, feed, specs, sessions, position, on_progress)
            with conn.cursor() as cur:
                for session in sessions:
                    session.finish(cur)
            for spec in specs:
                _swap(conn, spec, position)
    return {spec.name: position for spec in specs}

"""Rebuild read models from the event store into fresh tables, swapped in when caught up.

One pass over the log feeds every projection being rebuilt, each into a shadow schema.
Readers keep seeing the old tables until one short transaction, holding the projections'
tracking rows, applies the last events recorded meanwhile, drops the old schemas, renames
the shadows into place and sets the tracked positions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from projections.base import ProjectionSpec
from projections.feed import EventFeed
from projections.registry import select
from projections.runner import RuntimeLike, prepare

Progress = Callable[[str, int, int], None]
REBUILD_BATCH = 5000


def _shadow(spec: ProjectionSpec) -> str:
    return f"{spec.schema}_rebuild"


def _apply_batches(
    conn: psycopg.Connection[Any], feed: EventFeed, specs: list[ProjectionSpec],
    position: int, on_progress: Progress,
) -> int:
    head = feed.head()
    while batch := feed.read(position, REBUILD_BATCH):
        with conn.transaction(), conn.cursor() as cur:
            for spec in specs:
                spec.apply_batch(cur, _shadow(spec), batch)
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
    """Rebuild the named projections (default: all); the position each is rebuilt to."""
    specs, feed = select(names), runtime.feed()
    with runtime.pool.connection() as conn:
        prepare(conn, specs)
        for spec in specs:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(_shadow(spec))))
            with conn.transaction():
                spec.create(conn, _shadow(spec))
        position = _apply_batches(conn, feed, specs, 0, on_progress)
        with conn.transaction():
            conn.execute("SELECT position FROM okr_tracking WHERE name = ANY(%s) FOR UPDATE",
                         ([s.tracking_name for s in specs],))
            position = _apply_batches(conn, feed, specs, position, on_progress)
            for spec in specs:
                _swap(conn, spec, position)
    return {spec.name: position for spec in specs}

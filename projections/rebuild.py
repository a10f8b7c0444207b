"""Rebuild read models from the event store into fresh tables, swapped in when caught up.

Readers keep seeing the old tables until one short transaction, holding the projection's
tracking row, catches up the last events, drops the old schema, renames the new one into
place and sets the tracked position.
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


def _apply_batches(
    conn: psycopg.Connection[Any], feed: EventFeed, spec: ProjectionSpec, schema: str,
    position: int, on_progress: Progress, head: int,
) -> int:
    while batch := feed.read(position, REBUILD_BATCH):
        with conn.transaction(), conn.cursor() as cur:
            spec.apply_batch(cur, schema, batch)
        position = batch[-1].position
        on_progress(spec.name, position, max(head, position))
    return position


def rebuild_one(runtime: RuntimeLike, spec: ProjectionSpec, on_progress: Progress) -> int:
    """Rebuild `spec`; the position it is rebuilt to."""
    feed, shadow = runtime.feed(), f"{spec.schema}_rebuild"
    with runtime.pool.connection() as conn:
        prepare(conn, [spec])
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(shadow)))
        with conn.transaction():
            spec.create(conn, shadow)
        position = _apply_batches(conn, feed, spec, shadow, 0, on_progress, feed.head())
        with conn.transaction():
            conn.execute("SELECT position FROM okr_tracking WHERE name = %s FOR UPDATE",
                         (spec.tracking_name,))
            position = _apply_batches(conn, feed, spec, shadow, position, on_progress,
                                      feed.head())
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(spec.schema)))
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(shadow), sql.Identifier(spec.schema)))
            conn.execute("UPDATE okr_tracking SET position = %s, updated_at = now() "
                         "WHERE name = %s", (position, spec.tracking_name))
    return position


def rebuild(
    runtime: RuntimeLike, names: list[str] | None = None,
    on_progress: Progress = lambda name, done, total: None,
) -> dict[str, int]:
    return {spec.name: rebuild_one(runtime, spec, on_progress) for spec in select(names)}

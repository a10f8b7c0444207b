"""Rebuild read models from the event store into fresh tables, swapped in when caught up.

Each projection is first bulk-loaded from the log into a shadow schema, without secondary
indexes. On a machine with several cores and a long log, the projections are spread over
worker processes (projections/bulkload.py), each reading the log itself: decoding and
building rows are CPU-bound in Python, and one process is one core. Then the indexes are
built, and one short transaction, holding the projections' tracking rows, applies the events
recorded meanwhile, drops the old schemas, renames the shadows into place and sets the
tracked positions. Readers keep seeing the old tables until that commit.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
from psycopg import sql

from eventstore import Store
from eventstore.feed import EventFeed
from projections.base import ProjectionSpec
from projections.bulkload import (
    Progress,
    Source,
    apply_batches,
    bulk_load,
    bulk_load_in_processes,
    shadow,
)
from projections.registry import select
from projections.runner import prepare

# Below this many events a worker process's start (imports, connections) costs more than
# the second core saves.
PARALLEL_FROM = 20_000


def rebuild(
    store: Store, names: list[str] | None = None,
    on_progress: Progress = lambda name, done, total: None, *, processes: int | None = None,
) -> dict[str, int]:
    """Rebuild the named projections (default: all); the position each is rebuilt to.

    `processes`: how many worker processes bulk-load the projections (default: one per
    core, at most one per projection; 1 loads them in this process).
    """
    specs, feed = select(names), store.feed()
    with store.pool.connection() as conn:
        prepare(conn, specs)
        for spec in specs:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(shadow(spec))))
            with conn.transaction():
                spec.create(conn, shadow(spec), indexes=False)
        groups = balanced_groups(specs, _processes(processes, feed))
        if len(groups) > 1:
            source = Source(store.database_url, dict(feed.app.env))
            positions = bulk_load_in_processes(source, groups, on_progress)
        else:
            position = bulk_load(conn, feed, specs, on_progress)
            positions = dict.fromkeys((spec.name for spec in specs), position)
        with conn.transaction():
            for spec in specs:
                spec.create_indexes(conn, shadow(spec))
        return _catch_up_and_swap(conn, feed, specs, positions, on_progress)


def _processes(wanted: int | None, feed: EventFeed) -> int:
    if wanted is not None:
        return max(1, wanted)
    return 1 if feed.head() < PARALLEL_FROM else _usable_cores()


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def balanced_groups(specs: list[ProjectionSpec], processes: int) -> list[list[ProjectionSpec]]:
    """At most `processes` groups of similar total cost: costliest first, each into the
    cheapest group so far."""
    groups: list[list[ProjectionSpec]] = [[] for _ in range(min(processes, len(specs)))]
    for spec in sorted(specs, key=lambda s: s.rebuild_cost, reverse=True):
        min(groups, key=lambda g: sum(s.rebuild_cost for s in g)).append(spec)
    return [group for group in groups if group]


def _catch_up_and_swap(
    conn: psycopg.Connection[Any], feed: EventFeed, specs: list[ProjectionSpec],
    positions: dict[str, int], on_progress: Progress,
) -> dict[str, int]:
    with conn.transaction():
        conn.execute("SELECT position FROM okr_tracking WHERE name = ANY(%s) FOR UPDATE",
                     ([s.tracking_name for s in specs],))
        for spec in specs:
            positions[spec.name] = apply_batches(
                conn, feed, [spec], [spec.incremental(shadow(spec))], positions[spec.name],
                on_progress)
        for spec in specs:
            _swap(conn, spec, positions[spec.name])
    return {spec.name: positions[spec.name] for spec in specs}


def _swap(conn: psycopg.Connection[Any], spec: ProjectionSpec, position: int) -> None:
    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(spec.schema)))
    conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
        sql.Identifier(shadow(spec)), sql.Identifier(spec.schema)))
    conn.execute("UPDATE okr_tracking SET position = %s, updated_at = now() WHERE name = %s",
                 (position, spec.tracking_name))

"""Carry-over lineage: chains of objectives continued from one cycle into the next."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from projections.alignment import ALIGNMENT
from projections.directory import DIRECTORY

Conn = psycopg.Connection[Any]
# Every objective that continues or is continued, as it is now, with its cycle's start.
LINKED = f"""
    SELECT o.id::text, o.title, o.cycle, o.carried_from::text, o.owner_type,
           o.owner_id::text, o.status, c.starts_on
    FROM {ALIGNMENT.schema}.objective_versions o JOIN {DIRECTORY.schema}.cycles c
      ON c.key = o.cycle
    WHERE o.recorded_to = 'infinity' AND (o.carried_from IS NOT NULL OR o.id IN (
        SELECT carried_from FROM {ALIGNMENT.schema}.objective_versions
        WHERE carried_from IS NOT NULL))""".encode()


def carry_overs(
    conn: Conn, owner_type: str | None = None, owner_id: str | None = None
) -> list[list[dict[str, Any]]]:
    """Each chain of carried-over objectives (oldest first), chains ordered by their first
    cycle; with an owner, the chains one of whose steps that owner holds now."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = {row["id"]: row for row in cur.execute(LINKED)}
    successors: dict[str, list[str]] = {}
    for row in rows.values():
        if row["carried_from"] in rows:
            successors.setdefault(row["carried_from"], []).append(row["id"])
    chains = [path for row in rows.values() if row["carried_from"] not in rows
              for path in _paths(row["id"], rows, successors)]
    if owner_type is not None:
        chains = [c for c in chains
                  if any((s["owner_type"], s["owner_id"]) == (owner_type, owner_id) for s in c)]
    chains.sort(key=lambda c: (c[0]["starts_on"], c[0]["title"], c[0]["id"]))
    return [[_step(s) for s in chain] for chain in chains]


def _step(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "title": row["title"], "cycle": row["cycle"],
            "owner": {"type": row["owner_type"], "id": row["owner_id"]},
            "status": row["status"]}


def _paths(
    first: str, rows: dict[str, dict[str, Any]], successors: dict[str, list[str]]
) -> list[list[dict[str, Any]]]:
    """Every chain from `first` to an objective not carried further (one unless an
    objective was carried over twice)."""
    paths, stack = [], [[first]]
    while stack:
        path = stack.pop()
        following = successors.get(path[-1], [])
        if not following or len(path) > len(rows):
            paths.append([rows[step] for step in path])
        stack += [[*path, step] for step in following]
    return paths

"""The alignment tree of a cycle, now, as of T and valid at V."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import psycopg

from projections.timetravel import (
    Instant,
    cycle_key_results,
    cycle_objectives,
    objective_progress,
    owner_of,
)


def cycle_exists(conn: psycopg.Connection[Any], cycle: str) -> bool:
    row = conn.execute("SELECT 1 FROM okr_v_directory.cycles WHERE key = %s", (cycle,)).fetchone()
    return row is not None


def cycle_nodes(conn: psycopg.Connection[Any], cycle: str, at: Instant) -> list[dict[str, Any]]:
    """Flat nodes of the cycle's active objectives, each with `parent_id`."""
    krs_by_objective: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kr in cycle_key_results(conn, cycle, at):
        krs_by_objective[kr["objective_id"]].append(kr)
    nodes = []
    for row in cycle_objectives(conn, cycle, at):
        if row["status"] != "active":
            continue
        krs = krs_by_objective[str(row["id"])]
        nodes.append({
            "id": str(row["id"]), "title": row["title"], "owner": owner_of(row),
            "progress": objective_progress(krs),
            "key_results": [
                {k: kr[k] for k in ("id", "title", "current", "target", "progress")}
                for kr in krs
            ],
            "parent_id": None if row["parent_id"] is None else str(row["parent_id"]),
        })
    return nodes


def build_forest(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Link nodes under their parents; a node whose parent is not shown becomes a root."""
    by_id = {node["id"]: {**node, "children": []} for node in nodes}
    roots: list[dict[str, Any]] = []
    for node in sorted(by_id.values(), key=lambda n: (n["title"], n["id"])):
        parent = by_id.get(node.pop("parent_id") or "")
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def alignment_tree(
    conn: psycopg.Connection[Any], cycle: str, as_of: datetime | None = None,
    valid_at: datetime | None = None,
) -> dict[str, Any] | None:
    if not cycle_exists(conn, cycle):
        return None
    at = Instant.of(as_of, valid_at)
    return {
        "cycle": cycle,
        "as_of": None if at.as_of is None else at.as_of.isoformat(),
        "valid_at": at.v.isoformat(),
        "roots": build_forest(cycle_nodes(conn, cycle, at)),
    }

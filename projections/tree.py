"""The alignment tree of a cycle, now, as of T and valid at V."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import psycopg

from domain.progress import kr_progress, weighted_mean
from projections.directory import DIRECTORY
from projections.timetravel import APPLICABLE_CHECK_IN, VISIBLE, ReadTime, S

CYCLE_EXISTS = f"""SELECT 1 FROM {DIRECTORY.schema}.cycles WHERE key = %s
    AND (created_at IS NULL OR created_at <= coalesce(%s::timestamptz, 'infinity'))""".encode()
# Only what a node shows, as plain tuples with ids as text: the tree is the hottest read.
TREE_KR_COLUMNS = (
    "SELECT k.objective_id::text, k.id::text, k.title, ci.value, k.start, k.target, k.weight, "
    f"ci.confidence FROM {S}.kr_versions k {APPLICABLE_CHECK_IN}"
)
TREE_KRS = f"""{TREE_KR_COLUMNS}
    WHERE k.cycle = %(cycle)s AND k.{VISIBLE} ORDER BY k.title, k.id""".encode()
TREE_OBJECTIVES = f"""
    SELECT id::text, title, owner_type, owner_id::text, parent_id::text
    FROM {S}.objective_versions
    WHERE cycle = %(cycle)s AND status = 'active' AND {VISIBLE}""".encode()
# A key result as a node shows it, with its weight and latest confidence beside.
KrNode = tuple[dict[str, Any], float, float | None]


def cycle_exists(conn: psycopg.Connection[Any], cycle: str, at: datetime | None = None) -> bool:
    """Whether the cycle was known at `at` (default: now): an answer as of a past instant
    must not depend on what was created after it."""
    row = conn.execute(CYCLE_EXISTS, (cycle, at)).fetchone()
    return row is not None


def key_result_nodes(
    conn: psycopg.Connection[Any], statement: bytes, params: dict[str, Any]
) -> dict[str, list[KrNode]]:
    """KR nodes by objective id, from a statement selecting TREE_KR_COLUMNS."""
    by_objective: dict[str, list[KrNode]] = defaultdict(list)
    for objective_id, kr_id, title, current, start, target, weight, confidence in conn.execute(
        statement, params
    ):
        node = {"id": kr_id, "title": title, "current": current, "target": target,
                "progress": kr_progress(start, target, current)}
        by_objective[objective_id].append((node, weight, confidence))
    return by_objective


def objective_node(
    objective_id: str, title: str, owner_type: str, owner_id: str, krs: list[KrNode]
) -> dict[str, Any]:
    """A node of the tree without its children: progress is the mean of its own KRs'."""
    return {
        "id": objective_id, "title": title, "owner": {"type": owner_type, "id": owner_id},
        "progress": weighted_mean((kr["progress"], weight) for kr, weight, _ in krs),
        "key_results": [kr for kr, _, _ in krs],
    }


def cycle_nodes(conn: psycopg.Connection[Any], cycle: str, at: ReadTime) -> list[dict[str, Any]]:
    """Flat nodes of the cycle's active objectives, each with `parent_id`."""
    params = at.params(cycle=cycle)
    krs_by_objective = key_result_nodes(conn, TREE_KRS, params)
    return [
        {**objective_node(objective_id, title, owner_type, owner_id,
                          krs_by_objective[objective_id]), "parent_id": parent_id}
        for objective_id, title, owner_type, owner_id, parent_id in conn.execute(
            TREE_OBJECTIVES, params
        )
    ]


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
    if not cycle_exists(conn, cycle, as_of):
        return None
    at = ReadTime.of(as_of, valid_at)
    return {
        "cycle": cycle,
        "as_of": None if at.as_of is None else at.as_of.isoformat(),
        "valid_at": at.v.isoformat(),
        "roots": build_forest(cycle_nodes(conn, cycle, at)),
    }

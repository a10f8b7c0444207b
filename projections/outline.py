"""The alignment tree a part at a time, for large organisations and the dashboard.

A page of roots opened two levels deep, the children of one node, the subtree under a node,
a team's objectives; each node with its health at the read's instant (domain/health.py).
The shape of the cycle (ids, titles, owners, parents: one indexed range read) is read whole;
key results, the costly part, only for the objectives shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg

from domain.errors import InvalidInput, NotFound
from domain.health import health, objective_health, pace
from projections.directory import DIRECTORY
from projections.timetravel import VISIBLE, ReadTime, S
from projections.tree import (
    TREE_KR_COLUMNS,
    TREE_OBJECTIVES,
    KrNode,
    key_result_nodes,
    objective_node,
)

Conn = psycopg.Connection[Any]
D = DIRECTORY.schema
ROOTS_PER_PAGE = 25
OPEN_LEVELS = 2  # roots and their children; deeper levels load on demand
CYCLE = (f"SELECT starts_on, ends_on, status, closed_at, (SELECT min(recorded_from) "
         f"FROM {S}.objective_versions WHERE cycle = %(cycle)s) "
         f"FROM {D}.cycles WHERE key = %(cycle)s AND (created_at IS NULL "
         "OR created_at <= coalesce(%(at)s::timestamptz, 'infinity'))").encode()
TEAM_OBJECTIVES = TREE_OBJECTIVES + (
    f" AND (owner_id = %(team)s OR owner_id IN "
    f"(SELECT id FROM {D}.people WHERE team_id = %(team)s))"
).encode()
SHOWN_KRS = f"""{TREE_KR_COLUMNS}
    WHERE k.objective_id = ANY(%(ids)s::uuid[]) AND k.{VISIBLE} ORDER BY k.title, k.id""".encode()
Row = tuple[str, str, str, str, str | None]  # id, title, owner type, owner id, parent id


@dataclass(frozen=True)
class CycleInfo:
    """A cycle's dates and the span of its recorded history (to `closed_at`, else now)."""

    key: str
    starts_on: date
    ends_on: date
    status: str
    closed_at: datetime | None
    first_recorded: datetime | None


def cycle_info(conn: Conn, cycle: str, at: datetime | None = None) -> CycleInfo | None:
    """The cycle as known at `at` (default: now; None when it was created later)."""
    row = conn.execute(CYCLE, {"cycle": cycle, "at": at}).fetchone()
    return None if row is None else CycleInfo(cycle, *row)


@dataclass
class Outline:
    """The forest of a cycle's active objectives at T: a node whose parent is not shown
    (archived, or filtered out) is a root, as in the JSON tree."""

    rows: dict[str, Row]
    children: dict[str | None, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: list[Row]) -> Outline:
        outline = cls({row[0]: row for row in rows})
        grouped: dict[str | None, list[Row]] = defaultdict(list)
        for row in rows:
            parent = row[4] if row[4] in outline.rows else None
            grouped[parent].append(row)
        outline.children = {
            parent: [r[0] for r in sorted(members, key=lambda r: (r[1], r[0]))]
            for parent, members in grouped.items()
        }
        return outline

    def roots(self) -> list[str]:
        return self.children.get(None, [])

    def below(self, node_id: str) -> list[str]:
        return self.children.get(node_id, [])

    def path(self, node_id: str) -> list[dict[str, str]]:
        """The ancestors of a node, the topmost first."""
        ancestors: list[dict[str, str]] = []
        parent = self.rows[node_id][4]
        while parent in self.rows and len(ancestors) < len(self.rows):
            ancestors.insert(0, {"id": parent, "title": self.rows[parent][1]})
            parent = self.rows[parent][4]
        return ancestors


def outline(conn: Conn, cycle: str, at: ReadTime, team: UUID | None = None) -> Outline:
    """The cycle's active objectives at T (those owned by `team` or its people, if given)."""
    statement = TREE_OBJECTIVES if team is None else TEAM_OBJECTIVES
    rows = conn.execute(statement, at.params(cycle=cycle, team=team)).fetchall()
    return Outline.of(rows)


@dataclass
class _Builder:
    """Nodes down to `levels`, with each node's count of children and health."""

    outline: Outline
    krs: dict[str, list[KrNode]]
    expected: float
    levels: int

    def node(self, node_id: str, depth: int) -> dict[str, Any]:
        objective_id, title, owner_type, owner_id, _ = self.outline.rows[node_id]
        krs = self.krs.get(node_id, [])
        node = objective_node(objective_id, title, owner_type, owner_id, krs)
        node["key_results"] = [
            {**kr, "confidence": confidence,
             "health": health(kr["progress"], self.expected, confidence)}
            for kr, _, confidence in krs
        ]
        node["health"] = objective_health(node["progress"], self.expected,
                                          (confidence for _, _, confidence in krs))
        below = self.outline.below(node_id)
        node["child_count"] = len(below)
        node["children"] = ([self.node(child, depth + 1) for child in below]
                            if depth + 1 < self.levels else [])
        return node


def _shown(outline: Outline, tops: list[str], levels: int) -> list[str]:
    shown, level = [], tops
    for _ in range(levels):
        shown += level
        level = [child for node_id in level for child in outline.below(node_id)]
    return shown


def tree_page(
    conn: Conn, cycle: str, as_of: datetime | None = None, valid_at: datetime | None = None,
    *, team: UUID | None = None, root: str | None = None, offset: int = 0,
    limit: int = ROOTS_PER_PAGE, levels: int = OPEN_LEVELS,
) -> dict[str, Any] | None:
    """A page of the tree at T/V: `limit` roots from `offset` (or the node `root`), opened
    `levels` deep; None when the cycle is unknown."""
    if offset < 0 or limit < 1 or levels < 1:
        raise InvalidInput("offset must be 0 or more, limit and levels 1 or more",
                           field="offset")
    info = cycle_info(conn, cycle, as_of)
    if info is None:
        return None
    at = ReadTime.of(as_of, valid_at)
    shape = outline(conn, cycle, at, team)
    if root is not None and root not in shape.rows:
        raise NotFound(f"objective {root} is not in the tree of {cycle} at that instant")
    tops = shape.roots() if root is None else [root]
    page = tops[offset:offset + limit]
    shown = _shown(shape, page, levels)
    krs = key_result_nodes(conn, SHOWN_KRS, at.params(ids=shown)) if shown else {}
    builder = _Builder(shape, krs, pace(info.starts_on, info.ends_on, at.t), levels)
    return {
        "cycle": cycle, "as_of": None if at.as_of is None else at.as_of.isoformat(),
        "valid_at": at.v.isoformat(), "pace": builder.expected,
        "total_roots": len(tops), "offset": offset, "limit": limit,
        "path": [] if root is None else shape.path(root),
        "roots": [builder.node(node_id, 0) for node_id in page],
    }


def children_of(
    conn: Conn, cycle: str, parent: str, as_of: datetime | None = None,
    valid_at: datetime | None = None, *, team: UUID | None = None,
) -> list[dict[str, Any]] | None:
    """The children of one node at T/V, each with its count of children (not opened)."""
    page = tree_page(conn, cycle, as_of, valid_at, team=team, root=parent, levels=2)
    return None if page is None else list(page["roots"][0]["children"])


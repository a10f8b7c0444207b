"""The `alignment` report: the cycle's tree flattened, one row per objective and per key
result, depth first in the tree's order, with owners' names and health at the instant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from domain.errors import NotFound
from domain.health import health, objective_health, pace
from domain.progress import kr_progress, weighted_mean
from projections.directory import DIRECTORY
from projections.report_rows.base import Conn, ReportParams, ReportSpec, Row
from projections.report_rows.names import directory_names
from projections.timetravel import APPLICABLE_CHECK_IN, VISIBLE, ReadTime, S
from projections.tree import build_forest

COLUMNS = ("type", "path", "depth", "id", "parent_id", "title", "owner_type", "owner_id",
           "owner_name", "progress", "pace", "health", "current", "target", "confidence",
           "score")
CYCLE = f"SELECT starts_on, ends_on FROM {DIRECTORY.schema}.cycles WHERE key = %s".encode()
KRS = f"""
    SELECT k.objective_id::text, k.id::text, k.title, ci.value, ci.confidence, k.start,
        k.target, k.weight, k.owner_type, k.owner_id::text, k.score
    FROM {S}.kr_versions k {APPLICABLE_CHECK_IN}
    WHERE k.cycle = %(cycle)s AND k.{VISIBLE} ORDER BY k.title, k.id""".encode()
OBJECTIVES = f"""
    SELECT id::text, title, owner_type, owner_id::text, parent_id::text, score
    FROM {S}.objective_versions
    WHERE cycle = %(cycle)s AND status = 'active' AND {VISIBLE}""".encode()


def alignment_rows(conn: Conn, params: ReportParams) -> Iterator[Row]:
    assert params.cycle is not None
    cycle = conn.execute(CYCLE, (params.cycle,)).fetchone()
    if cycle is None:
        raise NotFound(f"unknown cycle {params.cycle}")
    at = ReadTime.of(params.as_of, params.valid_at)
    expected = pace(cycle[0], cycle[1], at.t)
    return _flatten(_forest(conn, params.cycle, at), directory_names(conn), expected)


def _forest(conn: Conn, cycle: str, at: ReadTime) -> list[dict[str, Any]]:
    """The tree's forest (`projections.tree.build_forest`), nodes holding their KR rows."""
    krs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for objective_id, kr_id, title, current, confidence, start, target, weight, owner_type, \
            owner_id, score in conn.execute(KRS, at.params(cycle=cycle)):
        krs[objective_id].append({
            "id": kr_id, "title": title, "current": current, "confidence": confidence,
            "target": target, "weight": weight, "score": score,
            "owner": (owner_type, owner_id) if owner_type else None,
            "progress": kr_progress(start, target, current)})
    nodes = [
        {"id": objective_id, "title": title, "owner": (owner_type, owner_id),
         "parent_id": parent_id, "score": score, "key_results": krs[objective_id],
         "progress": weighted_mean((k["progress"], k["weight"]) for k in krs[objective_id])}
        for objective_id, title, owner_type, owner_id, parent_id, score
        in conn.execute(OBJECTIVES, at.params(cycle=cycle))
    ]
    return build_forest(nodes)


def _flatten(roots: list[dict[str, Any]], names: dict[str, str],
             expected: float) -> Iterator[Row]:
    """Depth first: each objective, its key results, then its children (an explicit stack:
    an alignment chain may be deeper than Python's recursion limit)."""
    stack: list[tuple[dict[str, Any], str, int, str | None]] = [
        (node, "", 0, None) for node in reversed(roots)]
    while stack:
        node, prefix, depth, parent = stack.pop()
        path = f"{prefix} / {node['title']}" if prefix else node["title"]
        krs = node["key_results"]
        judged = objective_health(node["progress"], expected, (k["confidence"] for k in krs))
        owner_type, owner_id = node["owner"]
        yield ("objective", path, depth, node["id"], parent, node["title"], owner_type, owner_id,
               names.get(owner_id), node["progress"], expected, judged.value, None, None, None,
               node["score"])
        for kr in krs:
            kr_type, kr_owner = kr["owner"] or node["owner"]
            yield ("key_result", f"{path} / {kr['title']}", depth + 1, kr["id"], node["id"],
                   kr["title"], kr_type, kr_owner, names.get(kr_owner), kr["progress"],
                   expected, health(kr["progress"], expected, kr["confidence"]).value,
                   kr["current"],
                   kr["target"], kr["confidence"], kr["score"])
        stack.extend((child, path, depth + 1, node["id"]) for child in reversed(node["children"]))


ALIGNMENT_REPORT = ReportSpec(
    name="alignment", columns=COLUMNS, parameters=frozenset({"cycle", "as_of", "valid_at"}),
    required=frozenset({"cycle"}), rows=alignment_rows, instant_parameter="as_of",
)

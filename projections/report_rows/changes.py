"""The `changes` report: `GET /v1/changes` flattened, one row per change, with names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.errors import NotFound
from projections.report_rows.base import Conn, ReportParams, ReportSpec, Row
from projections.report_rows.names import names_at
from projections.reports import changes
from projections.timetravel import S

COLUMNS = ("change", "entity_type", "id", "title", "from", "to", "from_name", "to_name",
           "reason")
KINDS = ("added", "archived", "realigned", "reassigned", "retargeted", "progress")
OBJECTIVES = f"SELECT DISTINCT id::text FROM {S}.objective_versions WHERE cycle = %s".encode()


def changes_rows(conn: Conn, params: ReportParams) -> Iterator[Row]:
    assert params.cycle and params.since and params.until
    answer = changes(conn, params.cycle, params.since, params.until)
    if answer is None:
        raise NotFound(f"unknown cycle {params.cycle}")
    names = names_at(conn, params.until)
    objectives = {str(row[0]) for row in conn.execute(OBJECTIVES, (params.cycle,))}
    rows = [_row(kind, item, names, objectives) for kind in KINDS for item in answer[kind]]
    order = {kind: index for index, kind in enumerate(KINDS)}
    return iter(sorted(rows, key=lambda r: (order[r[0]], r[3] or "", r[2])))


def _row(kind: str, item: dict[str, Any], names: dict[str, str],
         objectives: set[str]) -> Row:
    entity_type = item.get("type") or ("objective" if item["id"] in objectives
                                       else "key_result")
    before, after = (item.get("from_parent"), item.get("to_parent")) if kind == "realigned" \
        else (item.get("from"), item.get("to"))
    before, after = _owner_id(before), _owner_id(after)
    named = kind in ("realigned", "reassigned")
    return (kind, entity_type, item["id"], item.get("title") or names.get(item["id"]), before,
            after, names.get(before) if named and before else None,
            names.get(after) if named and after else None, item.get("reason"))


def _owner_id(value: Any) -> Any:
    """An owner `{type, id}` is shown by its id (its name goes beside it)."""
    return value["id"] if isinstance(value, dict) else value


CHANGES_REPORT = ReportSpec(
    name="changes", columns=COLUMNS, parameters=frozenset({"cycle", "since", "until"}),
    required=frozenset({"cycle", "since", "until"}), rows=changes_rows,
    instant_parameter="until",
)

"""The `history` report: `GET /v1/history`, one row per quarter, with the owner's name."""

from __future__ import annotations

from collections.abc import Iterator

from projections.report_rows.base import Conn, ReportParams, ReportSpec, Row
from projections.report_rows.names import directory_names
from projections.reports import history

STATS = ("cycle", "objectives", "key_results", "avg_progress", "avg_score", "hit_rate",
         "check_ins", "carried_in")
COLUMNS = (*STATS, "owner_type", "owner_id", "owner_name")


def history_rows(conn: Conn, params: ReportParams) -> Iterator[Row]:
    answer = history(conn, owner_type=params.owner_type, owner_id=params.owner_id,
                     from_cycle=params.from_cycle, to_cycle=params.to_cycle)
    owner_name = directory_names(conn).get(params.owner_id) if params.owner_id else None
    return iter([(*(item[name] for name in STATS), params.owner_type, params.owner_id,
                  owner_name) for item in answer["items"]])


HISTORY_REPORT = ReportSpec(
    name="history", columns=COLUMNS,
    parameters=frozenset({"owner_type", "owner_id", "from_cycle", "to_cycle"}),
    required=frozenset(), rows=history_rows,
)

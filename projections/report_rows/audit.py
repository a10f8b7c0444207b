"""The `audit` report: the audit trail through a server-side cursor, one row per changed
field, in position order; memory stays constant whatever the length of the trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from projections.audit import AUDIT
from projections.listing import AUDIT_FILTERS, _entity_uuid
from projections.report_rows.base import Conn, ReportParams, ReportSpec, Row
from projections.report_rows.names import names_at

COLUMNS = ("position", "recorded_at", "actor", "actor_name", "entity_type", "entity_id",
           "entity_name", "event_type", "field", "from", "to", "reason")
FETCH = 2000


def audit_rows(conn: Conn, params: ReportParams) -> Iterator[Row]:
    filters = {"entity_id": _entity_uuid(params.entity_id) if params.entity_id else None,
               "actor": params.actor, "since": params.since, "until": params.until}
    clauses = [clause for name, clause in AUDIT_FILTERS if filters[name] is not None]
    statement = ("SELECT position, recorded_at, actor, entity_type, entity_id::text, "
                 f"event_type, changes, reason FROM {AUDIT.schema}.entries "
                 f"WHERE {' AND '.join(clauses) or 'true'} ORDER BY position")
    names = names_at(conn, params.until or datetime.now(tz=UTC))
    return _rows(conn, statement, filters, names)


def _rows(conn: Conn, statement: str, filters: dict[str, Any],
          names: dict[str, str]) -> Iterator[Row]:
    with conn.cursor(name="okr_audit_report") as cur:
        cur.itersize = FETCH
        cur.execute(statement.encode(), filters)
        for position, recorded_at, actor, entity_type, entity_id, event_type, changes, \
                reason in cur:
            head = (position, recorded_at, actor, names.get(actor), entity_type, entity_id,
                    names.get(entity_id), event_type)
            if not changes:
                yield (*head, None, None, None, reason)
            for field in sorted(changes):
                change = changes[field]
                yield (*head, field, change.get("from"), change.get("to"), reason)


AUDIT_REPORT = ReportSpec(
    name="audit", columns=COLUMNS,
    parameters=frozenset({"entity_id", "actor", "since", "until"}), required=frozenset(),
    rows=audit_rows, instant_parameter="until",
)

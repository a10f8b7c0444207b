"""`/ui/objectives/{id}`: an objective at any instant, its KRs with health, where it sits in
the tree, where it was carried from, and its audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Response

from api.deps import ReadConn
from api.ui.deps import SignedIn, When
from api.ui.params import ViewTime, link
from api.ui.routing import page_router
from api.ui.templating import render
from api.ui.views import Names, audit_rows, chrome, named_nodes
from domain.errors import NotFound
from domain.health import HEALTH_RULE, health, objective_health, pace
from projections import queries
from projections.outline import CycleInfo

router = page_router()
AUDIT_SHOWN = 100


def expected_pace(info: CycleInfo, when: ViewTime) -> float:
    return pace(info.starts_on, info.ends_on, when.as_of or datetime.now(tz=UTC))


def _titled(conn: Any, ids: list[str], when: ViewTime) -> list[dict[str, Any]]:
    found = (queries.objective_detail(conn, i, when.as_of) for i in ids)
    return [{"id": o["id"], "title": o["title"], "cycle": o["cycle"]} for o in found if o]


def _children(conn: Any, objective: dict[str, Any], when: ViewTime) -> list[dict[str, Any]]:
    try:
        found = queries.children_of(conn, objective["cycle"], objective["id"], when.as_of,
                                    when.valid_at)
    except NotFound:  # archived: no longer in the tree
        return []
    return found or []


@router.get("/ui/objectives/{objective_id}")
def objective(objective_id: UUID, session: SignedIn, when: When, conn: ReadConn) -> Response:
    """An objective as of `as_of`, valid at `valid_at`."""
    found = queries.objective_detail(conn, objective_id, when.as_of, when.valid_at)
    if found is None:
        raise NotFound(f"no objective {objective_id} at that instant")
    info = queries.cycle_info(conn, found["cycle"])
    assert info is not None  # an objective's cycle exists
    names, expected = Names.load(conn), expected_pace(info, when)
    krs = [{**kr, "health": health(kr["progress"], expected, kr["confidence"]),
            "owner_name": names.owner(kr["owner"] or found["owner"])}
           for kr in found["key_results"]]
    trail = queries.audit(conn, entity_id=objective_id, until=when.as_of, limit=AUDIT_SHOWN)
    time_query = when.query()
    return render(
        "objective.html", objective=found, krs=krs, when=when, time_query=time_query,
        health=objective_health(found["progress"], expected, (k["confidence"] for k in krs)),
        pace=expected, rule=HEALTH_RULE, owner_name=names.owner(found["owner"]),
        parent=_titled(conn, [found["parent_id"]] if found["parent_id"] else [], when),
        children=named_nodes(_children(conn, found, when), names),
        carried=_titled(conn, queries.lineage(conn, str(objective_id))[1:], when),
        trail=audit_rows(trail["items"], names), more=trail["next_cursor"] is not None,
        audit_link=link("/ui/audit", entity_id=str(objective_id),
                        until=time_query["as_of"]),
        report=link("/v1/reports/audit", format="csv", entity_id=str(objective_id),
                    until=time_query["as_of"]),
        **chrome(session, names, queries.cycles(conn)),
    )

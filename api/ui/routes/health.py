"""`/ui/health`: per team, at an instant: stale and lagging KRs, alignment coverage, health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from starlette.responses import RedirectResponse

from api.deps import ReadConn
from api.ui.deps import SignedIn, When
from api.ui.params import link
from api.ui.routing import page_router
from api.ui.templating import render
from api.ui.views import Names, chrome
from domain.errors import NotFound
from domain.health import HEALTH_RULE, STALE_AFTER
from projections import queries

router = page_router()


def _named(items: list[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    return [{**item, "name": names.teams.get(item["team_id"], item["team_id"])}
            for item in items]


@router.get("/ui/health")
def health(request: Request, session: SignedIn, when: When, conn: ReadConn) -> Response:
    """Each team's engagement and the key results that need attention, at `as_of`."""
    cycles, names = queries.cycles(conn), Names.load(conn)
    page = chrome(session, names, cycles)
    cycle = request.query_params.get("cycle")
    if not cycle:
        if page["nav"]["cycle"] is None:
            raise NotFound("there is no cycle yet")
        return RedirectResponse(link("/ui/health", cycle=page["nav"]["cycle"]), status_code=303)
    found = queries.team_health(conn, cycle, when.as_of or datetime.now(tz=UTC))
    if found is None:
        raise NotFound(f"unknown cycle {cycle}")
    query = {"cycle": cycle, "as_of": when.query()["as_of"]}
    return render(
        "health.html", found=found, teams=_named(found["items"], names), query=query,
        cycles=cycles, when=when, rule=HEALTH_RULE, stale_days=STALE_AFTER.days,
        report=link("/v1/reports/alignment", format="csv", **query), **page,
    )

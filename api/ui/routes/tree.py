"""`/ui/tree`: the alignment tree at any instant, a page of roots at a time, opened two
levels deep; deeper levels load on demand (`/ui/tree/children`, or a subtree page)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Request, Response
from starlette.responses import RedirectResponse

from api.deps import ReadConn
from api.ui import params
from api.ui.deps import SignedIn, When
from api.ui.params import ViewTime, link
from api.ui.routing import is_partial, page_router
from api.ui.templating import render
from api.ui.views import Names, chrome, named_nodes
from domain.errors import NotFound
from domain.health import HEALTH_RULE
from projections import queries
from projections.outline import ROOTS_PER_PAGE, CycleInfo

router = page_router()
SLIDER_STEP = 3600  # seconds; the text field takes any instant


def _query(cycle: str, when: ViewTime, team: Any) -> dict[str, str | None]:
    return {"cycle": cycle, **when.query(), "team": None if team is None else str(team)}


def _slider(info: CycleInfo, when: ViewTime) -> dict[str, Any]:
    """The range of the time slider: the cycle's recorded history, to its close or now."""
    now = datetime.now(tz=UTC)
    first = info.first_recorded or datetime.combine(info.starts_on, time.min, tzinfo=UTC)
    end = min(info.closed_at or now, now)
    start = min(int(first.timestamp()) // SLIDER_STEP * SLIDER_STEP, int(end.timestamp()))
    value = end if when.as_of is None else min(max(when.as_of, first), end)
    return {"min": start, "max": int(end.timestamp()), "value": int(value.timestamp()),
            "step": SLIDER_STEP, "live": info.closed_at is None}


def _weeks(info: CycleInfo, query: dict[str, str | None]) -> list[dict[str, str]]:
    """Links to the tree at the end of each week of the cycle so far (the slider without
    JavaScript)."""
    now = datetime.now(tz=UTC)
    end = min(info.closed_at or now, now)
    start = datetime.combine(info.starts_on, time.min, tzinfo=UTC)
    weeks, number = [], 1
    while start + timedelta(weeks=number) < end and number < 60:
        moment = start + timedelta(weeks=number)
        weeks.append({"label": f"week {number}", "date": moment.date().isoformat(),
                      "href": link("/ui/tree", **{**query, "as_of": params.instant_text(
                          moment), "valid_at": None})})
        number += 1
    return weeks


def _cycle_changed(request: Request, cycle: str) -> bool:
    shown = urlsplit(request.headers.get("HX-Current-URL", "")).query
    return parse_qs(shown).get("cycle", [cycle])[0] != cycle


@router.get("/ui/tree")
def tree(request: Request, session: SignedIn, when: When, conn: ReadConn) -> Response:
    """The alignment tree with progress, health and owners, at `as_of`, valid at `valid_at`."""
    given = request.query_params
    cycles, names = queries.cycles(conn), Names.load(conn)
    page = chrome(session, names, cycles)
    cycle = given.get("cycle")
    if not cycle:
        if page["nav"]["cycle"] is None:
            raise NotFound("there is no cycle yet")
        return RedirectResponse(link("/ui/tree", cycle=page["nav"]["cycle"]), status_code=303)
    team = params.uuid("team", given.get("team"))
    root = params.uuid("root", given.get("root"))
    number = params.whole("page", given.get("page"), 1)
    found = queries.tree_page(conn, cycle, when.as_of, when.valid_at, team=team,
                              root=None if root is None else str(root),
                              offset=(number - 1) * ROOTS_PER_PAGE)
    info = queries.cycle_info(conn, cycle)
    if found is None or info is None:
        raise NotFound(f"unknown cycle {cycle}")
    query = _query(cycle, when, team)
    if is_partial(request) and _cycle_changed(request, cycle):
        # The slider and the week links belong to the cycle: load the whole page.
        return Response(headers={"HX-Redirect": link("/ui/tree", **query)})
    pages = max(1, math.ceil(found["total_roots"] / ROOTS_PER_PAGE))
    return render(
        "tree_view.html" if is_partial(request) else "tree.html",
        tree=found, roots=named_nodes(found["roots"], names), query=query, cycle=cycle,
        cycles=cycles, teams=names.teams_sorted(), team=query["team"], info=info,
        slider=_slider(info, when), weeks=_weeks(info, query), rule=HEALTH_RULE,
        when=when, page_number=number, pages=pages, at=link("", **when.query()),
        previous=link("/ui/tree", **query, page=number - 1) if number > 1 else None,
        next=link("/ui/tree", **query, page=number + 1) if number < pages else None,
        report=link("/v1/reports/alignment", format="csv", cycle=cycle, **when.query()),
        **page,
    )


@router.get("/ui/tree/children")
def children(request: Request, _: SignedIn, when: When, conn: ReadConn) -> Response:
    """The children of one node (htmx); without htmx, the subtree page of that node."""
    given = request.query_params
    cycle = given.get("cycle") or ""
    parent = params.uuid("parent", given.get("parent"))
    team = params.uuid("team", given.get("team"))
    if parent is None:
        raise NotFound("which objective's children? (parent is missing)")
    query = _query(cycle, when, team)
    if not is_partial(request):
        return RedirectResponse(link("/ui/tree", **query, root=str(parent)), status_code=303)
    found = queries.children_of(conn, cycle, str(parent), when.as_of, when.valid_at, team=team)
    if found is None:
        raise NotFound(f"unknown cycle {cycle}")
    return render("tree_children.html", nodes=named_nodes(found, Names.load(conn)),
                  query=query, at=link("", **when.query()))

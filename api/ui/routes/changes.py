"""`/ui/changes`: what changed in a cycle between two instants, with who and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request, Response
from starlette.responses import RedirectResponse

from api.deps import ReadConn
from api.ui import params
from api.ui.deps import SignedIn, Until
from api.ui.params import instant_text, link
from api.ui.routing import is_partial, page_router
from api.ui.templating import render
from api.ui.views import ENTITY_PAGES, Names, change_text, chrome
from domain.errors import NotFound
from projections import queries

router = page_router()
DEFAULT_WINDOW = timedelta(days=30)
GROUPS = (
    ("added", "Added"), ("archived", "Archived"), ("realigned", "Realigned"),
    ("reassigned", "Reassigned"), ("retargeted", "Retargeted"), ("progress", "Progress"),
)


def _default_window(conn: Any, cycle: str) -> tuple[datetime, datetime]:
    """The last 30 days of the cycle's history: to its close, or to now."""
    info = queries.cycle_info(conn, cycle)
    now = datetime.now(tz=UTC)  # to the microsecond: the last second may hold changes
    until = min(info.closed_at, now) if info and info.closed_at else now
    return until - DEFAULT_WINDOW, until


def _shown(found: dict[str, Any], names: Names, until: str | None) -> dict[
        str, list[dict[str, Any]]]:
    """Each group's items with their values as people read them."""
    return {
        group: [{**item, "by_name": None if item["by"] is None else names.actor(item["by"]),
                 "href": link(ENTITY_PAGES[item["type"]] + item["id"], as_of=until)
                 if item["type"] in ENTITY_PAGES else None,
                 "from_text": change_text(item.get("from"), names),
                 "to_text": change_text(item.get("to"), names)} for item in found[group]]
        for group, _ in GROUPS
    }


@router.get("/ui/changes")
def changes(request: Request, session: SignedIn, until: Until, conn: ReadConn) -> Response:
    """Objectives and KRs added, archived, realigned, reassigned, retargeted, moved."""
    given = request.query_params
    cycles, names = queries.cycles(conn), Names.load(conn)
    page = chrome(session, names, cycles)
    cycle = given.get("cycle") or page["nav"]["cycle"]
    since = params.instant("since", given.get("since"))
    if cycle is None:
        raise NotFound("there is no cycle yet")
    if not given.get("cycle") or since is None or until is None:
        default_since, default_until = _default_window(conn, cycle)
        return RedirectResponse(link(
            "/ui/changes", cycle=cycle, since=instant_text(since or default_since),
            until=instant_text(until or default_until)), status_code=303)
    found = queries.attributed_changes(conn, cycle, since, until)
    if found is None:
        raise NotFound(f"unknown cycle {cycle}")
    query = {"cycle": cycle, "since": instant_text(since), "until": instant_text(until)}
    return render(
        "changes_view.html" if is_partial(request) else "changes.html",
        groups=GROUPS, shown=_shown(found, names, query["until"]), query=query, cycles=cycles,
        count=sum(len(found[g]) for g, _ in GROUPS),
        report=link("/v1/reports/changes", format="csv", **query), **page,
    )

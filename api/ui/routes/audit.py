"""`/ui/audit`: the audit trail, filtered by entity, actor and time, a page at a time."""

from __future__ import annotations

from fastapi import Request, Response

from api.deps import ReadConn
from api.ui import params
from api.ui.deps import SignedIn, Until
from api.ui.params import instant_text, link
from api.ui.routing import is_partial, page_router
from api.ui.templating import render
from api.ui.views import Names, audit_rows, chrome
from projections import queries

router = page_router()
PAGE = 50


@router.get("/ui/audit")
def audit(request: Request, session: SignedIn, until: Until, conn: ReadConn) -> Response:
    """Who changed what, when, from what to what, and why."""
    given = request.query_params
    entity = params.uuid("entity_id", given.get("entity_id"))
    since = params.instant("since", given.get("since"))
    query = {"entity_id": None if entity is None else str(entity),
             "actor": given.get("actor") or None,
             "since": instant_text(since), "until": instant_text(until)}
    cursor = given.get("cursor") or None
    found = queries.audit(conn, entity_id=entity, actor=query["actor"], since=since,
                          until=until, limit=PAGE, cursor=cursor)
    names = Names.load(conn)
    return render(
        "audit_view.html" if is_partial(request) else "audit.html",
        rows=audit_rows(found["items"], names), query=query, people=names.people_sorted(),
        first=link("/ui/audit", **query) if cursor else None,
        next=link("/ui/audit", **query, cursor=found["next_cursor"])
        if found["next_cursor"] else None,
        report=link("/v1/reports/audit", format="csv", **query),
        **chrome(session, names, queries.cycles(conn)),
    )

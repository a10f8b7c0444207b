"""`/ui/history`: quarter-over-quarter charts, for everyone or one owner, and the chains of
objectives carried over from one quarter to the next."""

from __future__ import annotations

from fastapi import Request, Response

from api.deps import ReadConn
from api.ui import params
from api.ui.deps import Now, SignedIn
from api.ui.params import link
from api.ui.routing import page_router
from api.ui.templating import render
from api.ui.views import Names, chrome, history_chart
from domain.errors import InvalidInput
from projections import queries

router = page_router()
OWNER_TYPES = ("team", "person")


@router.get("/ui/history")
def history(request: Request, session: SignedIn, _: Now, conn: ReadConn) -> Response:
    """Objectives, progress, scores, hit rate and check-ins per cycle; carry-over lineage."""
    given = request.query_params
    owner_type = given.get("owner_type") or None
    owner = params.uuid("owner_id", given.get("owner_id"))
    if owner_type is not None and owner_type not in OWNER_TYPES:
        raise InvalidInput("owner_type must be team or person", field="owner_type")
    owner_id = None if owner is None else str(owner)
    query = {"owner_type": owner_type, "owner_id": owner_id,
             "from_cycle": given.get("from_cycle") or None,
             "to_cycle": given.get("to_cycle") or None}
    items = queries.history(conn, **query)["items"]
    names = Names.load(conn)
    chains = queries.carry_overs(conn, owner_type, owner_id)
    owner_name = names.owner({"type": owner_type, "id": owner_id}) if owner_type and owner_id \
        else "everyone"
    return render(
        "history.html", items=items, chart=history_chart(items), query=query,
        owner_name=owner_name, teams=names.teams_sorted(), people=names.people_sorted(),
        chains=[[{**step, "owner_name": names.owner(step["owner"])} for step in chain]
                for chain in chains],
        report=link("/v1/reports/history", format="csv", **query),
        **chrome(session, names, queries.cycles(conn)),
    )

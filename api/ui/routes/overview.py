"""`/` and `/ui/`: the cycles, with links to each view of the current one."""

from __future__ import annotations

from fastapi import Response
from starlette.responses import RedirectResponse

from api.deps import ReadConn
from api.ui.deps import Now, SignedIn
from api.ui.routing import page_router
from api.ui.templating import render
from api.ui.views import Names, chrome
from projections import queries

router = page_router()


@router.get("/")
def root() -> Response:
    """The dashboard is the home page."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui")
def ui_root() -> Response:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui/")
def overview(session: SignedIn, _: Now, conn: ReadConn) -> Response:
    """Every cycle, newest first, with its views."""
    cycles = queries.cycles(conn)
    page = chrome(session, Names.load(conn), cycles)
    return render("overview.html", cycles=list(reversed(cycles)), **page)

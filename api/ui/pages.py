"""The dashboard on the API's app: its pages, static files and security headers."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from api.ui.routes import (
    audit,
    auth,
    changes,
    health,
    history,
    key_results,
    objectives,
    overview,
    tree,
)
from api.ui.security import SecurityHeaders
from api.ui.sessions import SESSION_TTL

PAGES = (overview, auth, tree, changes, objectives, key_results, history, health, audit)


def install_ui(app: FastAPI) -> None:
    """Serve the pages under /ui (and redirect `/` there), on the API's origin."""
    for module in PAGES:
        app.include_router(module.router)
    app.mount("/ui/static", StaticFiles(packages=[("api.ui", "static")]), name="ui-static")
    app.add_middleware(SecurityHeaders)
    app.state.session_ttl = SESSION_TTL

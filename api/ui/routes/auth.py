"""Sign-in with a token and sign-out: the session cookie never holds the token."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from api.deps import ReadConn
from api.ui.deps import CSRF_FIELD, CheckedForm, SignedIn, session_store
from api.ui.routing import LOGIN, page_router
from api.ui.sessions import COOKIE
from api.ui.templating import render
from api.ui.views import Names, chrome
from projections import queries

router = page_router()
# Before a session exists, a sign-in form is tied to the browser by a cookie of its own
# (double submit): another site can neither read it nor, SameSite=Strict, send it.
LOGIN_COOKIE = "okr_login_csrf"
HOME = "/ui/"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a page of the dashboard only, never another site."""
    if not target or not target.startswith("/ui") or target.startswith("//") \
            or "\\" in target or any(c in target for c in "\r\n"):
        return HOME
    return target


def _login_form(request: Request, *, status: int = 200, error: str | None = None,
                next_url: str | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    response = render("login.html", status=status, session=None, csrf=token, error=error,
                      next=safe_next(next_url or request.query_params.get("next")))
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path=LOGIN,
                        secure=request.url.scheme == "https")
    return response


@router.get("/ui/login")
def login_page(request: Request) -> Response:
    """The sign-in form."""
    return _login_form(request)


async def login_form(request: Request) -> FormData:
    return await request.form()


@router.post("/ui/login")
async def login(request: Request, form: Annotated[FormData, Depends(login_form)]) -> Response:
    """Open a session for a valid token; the cookie holds a random session id."""
    expected, sent = request.cookies.get(LOGIN_COOKIE, ""), form.get(CSRF_FIELD)
    next_url = str(form.get("next") or "")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        return _login_form(request, status=403, next_url=next_url,
                           error="This form has expired or did not come from this site. "
                                 "Sign in again.")
    token = str(form.get("token") or "").strip()
    session_id = await run_in_threadpool(session_store(request).open, token) if token else None
    if session_id is None:
        return _login_form(request, status=401, next_url=next_url,
                           error="That token is not known. Use an API token of yours.")
    response = RedirectResponse(safe_next(next_url), status_code=303)
    store = session_store(request)
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https",
                        max_age=int(store.ttl.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN)
    return response


@router.get("/ui/logout")
def logout_page(session: SignedIn, conn: ReadConn) -> Response:
    """Ask before signing out (a link must not end a session: the form carries the token)."""
    return render("logout.html", **chrome(session, Names.load(conn), queries.cycles(conn)))


@router.post("/ui/logout")
async def logout(request: Request, _: CheckedForm) -> Response:
    """End the session on the server: its cookie no longer opens anything."""
    await run_in_threadpool(session_store(request).close, request.cookies.get(COOKIE, ""))
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response

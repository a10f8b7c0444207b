"""Dependencies of the pages: the session, the view's instants, checked forms."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.auth import RANK, Role
from api.errors import Forbidden
from api.reading import settler_of, timeout_of
from api.ui.params import ViewTime, instant
from api.ui.routing import CsrfRefused, SignInRequired
from api.ui.sessions import COOKIE, SESSION_TTL, Session, SessionStore

CSRF_FIELD = "csrf_token"


def session_store(request: Request) -> SessionStore:
    state = request.app.state
    return SessionStore(state.api_pool, state.tokens,
                        getattr(state, "session_ttl", SESSION_TTL))


async def current_session(request: Request) -> Session | None:
    """The open session of the request's cookie, if any."""
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    return await run_in_threadpool(session_store(request).find, session_id)


async def signed_in(request: Request) -> Session:
    """The session of the cookie; without one, the page redirects to the sign-in page."""
    found = await current_session(request)
    if found is None:
        raise SignInRequired()
    return found


async def settled(request: Request, moment: datetime | None, name: str) -> None:
    """Wait as the JSON reads do (api/settle.py): for a past instant, until it is settled
    (503 with Retry-After when it does not settle in time); for a current read, past any
    loading session (503 while `okr demo` or an import writes). A page reads several read
    models: it waits for all of them."""
    settler, timeout = settler_of(request), timeout_of(request)
    if moment is None:
        await settler.current(None, timeout)
    else:
        await settler.settle(moment, name, timeout, settler.followers)


async def view_time(request: Request) -> ViewTime:
    """The view's `as_of` and `valid_at`, once `as_of` is settled."""
    query = request.query_params
    when = ViewTime(as_of=instant("as_of", query.get("as_of")),
                    valid_at=instant("valid_at", query.get("valid_at")))
    await settled(request, when.as_of, "as_of")
    return when


async def until_time(request: Request) -> datetime | None:
    """The view's `until` (changes, audit), once it is settled."""
    until = instant("until", request.query_params.get("until"))
    await settled(request, until, "until")
    return until


async def current_time(request: Request) -> None:
    """A current read: past any loading session."""
    await settled(request, None, "now")


def allowed(session: Session, role: Role) -> bool:
    return RANK[session.role] >= RANK[role]


def require(session: Session, role: Role) -> None:
    if not allowed(session, role):
        raise Forbidden(f"this needs the {role} role; you are signed in as {session.role}")


async def checked_form(
    request: Request, session: Annotated[Session, Depends(signed_in)]
) -> FormData:
    """The posted form, once its CSRF token is the session's (else nothing is done)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent, session.csrf):
        raise CsrfRefused()
    return form


SignedIn = Annotated[Session, Depends(signed_in)]
When = Annotated[ViewTime, Depends(view_time)]
Until = Annotated[datetime | None, Depends(until_time)]
Now = Annotated[None, Depends(current_time)]
CheckedForm = Annotated[FormData, Depends(checked_form)]

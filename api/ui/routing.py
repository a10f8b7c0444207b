"""The pages' route class: HTML answers for errors, sign-in redirects, canonical URLs.

Pages share the API's dependencies and queries, so they raise the API's errors; here those
become pages with the same status (a 503 keeps its `Retry-After`), and a missing session
becomes a redirect to the sign-in page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse

from api.errors import LOADING_RETRY_AFTER, ApiError, status_of
from api.ui.params import link
from api.ui.templating import render
from domain.errors import DomainError
from eventstore.txtime import StoreLoading

log = logging.getLogger(__name__)
LOGIN = "/ui/login"
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in page."""


class CsrfRefused(Exception):
    """A form posted without the session's CSRF token."""


def is_partial(request: Request) -> bool:
    """An htmx request for a part of the page (a history restore wants the whole page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def here(request: Request) -> str:
    """The path and query of the request, for a `next` link back to it."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def login_redirect(request: Request) -> Response:
    target = link(LOGIN, next=here(request) if request.method == "GET" else None)
    if is_partial(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def error_page(error: Exception) -> Response:
    headers: dict[str, str] = {}
    if isinstance(error, RequestValidationError):
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in error.errors())
        status, detail = 422, f"This address is not valid ({fields})."
    else:
        status = status_of(error)
        detail = str(getattr(error, "detail", error)).splitlines()[0]
        if isinstance(error, ApiError):
            headers = error.headers
        if isinstance(error, StoreLoading):
            headers = {"Retry-After": LOADING_RETRY_AFTER}
    return render("error.html", status=status, headers=headers, code=status,
                  detail=detail, session=None, retry=headers.get("Retry-After"))


def _without_empty_fields(request: Request) -> str | None:
    """The URL without its empty query fields (a form sent without JavaScript sends them
    all), or None when it has none."""
    fields = request.query_params.multi_items()
    kept = [(k, v) for k, v in fields if v != ""]
    if len(kept) == len(fields):
        return None
    return f"{request.url.path}?{urlencode(kept)}" if kept else request.url.path


class PageRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            canonical = _without_empty_fields(request) if request.method == "GET" else None
            if canonical is not None and not is_partial(request):
                return RedirectResponse(canonical, status_code=303)
            try:
                response = await handler(request)
            except SignInRequired:
                return login_redirect(request)
            except CsrfRefused:
                return render("error.html", status=403, code=403, session=None,
                              retry=None, detail="This form has expired or did not come from "
                              "this site: nothing was recorded. Reload the page and retry.")
            except (DomainError, ApiError, StoreLoading, RequestValidationError) as error:
                return error_page(error)
            if canonical is not None:
                response.headers["HX-Push-Url"] = canonical
            return response

        return page


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False)

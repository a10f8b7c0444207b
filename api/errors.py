"""The one table from errors to HTTP statuses, and problem+json answers (RFC 9457)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from domain.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    RuleViolation,
    UnknownReference,
    VersionMismatch,
)
from eventstore.availability import DatabaseUnavailable
from eventstore.feed import DATABASE_UNAVAILABLE
from eventstore.txtime import StoreLoading

log = logging.getLogger("api.errors")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://okr-ledger.dev/problems/"


class ApiError(Exception):
    """An error of the API layer itself (auth, limits, read consistency)."""

    title = "Error"
    type_name = "error"

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class Unauthenticated(ApiError):
    title, type_name = "Unauthenticated", "unauthenticated"

    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(detail, {"WWW-Authenticate": 'Bearer realm="okr-ledger"'})


class Forbidden(ApiError):
    title, type_name = "Forbidden", "forbidden"


class PayloadTooLarge(ApiError):
    title, type_name = "Payload too large", "payload-too-large"


class NotCaughtUp(ApiError):
    title, type_name = "Read model not caught up", "not-caught-up"


class NotModified(Exception):
    """The client holds this answer already: 304, with the headers it would have had."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers


# Most specific first: the first class an error is an instance of decides its status.
STATUS_OF: list[tuple[type[Exception], int]] = [
    (UnknownReference, 422),
    (InvalidInput, 422),
    (NotFound, 404),
    (VersionMismatch, 412),
    (RuleViolation, 409),
    (DomainError, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (PayloadTooLarge, 413),
    (NotCaughtUp, 503),
    (StoreLoading, 503),
]
LOADING_RETRY_AFTER = "5"  # seconds: okr demo loads its history in seconds to minutes


def status_of(error: Exception) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(error, cls)), 500)


def problem(
    status: int, detail: str, *, title: str | None = None, type_name: str | None = None,
    errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": TYPE_BASE + (type_name or phrase.lower().replace(" ", "-")),
        "title": title or phrase, "status": status, "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = status_of(error)
    errors = None if error.field is None else [{"field": error.field, "message": error.detail}]
    type_name = type(error).__name__
    return problem(status, error.detail, title=error.title, errors=errors,
                   type_name="".join(f"-{c.lower()}" if c.isupper() else c
                                     for c in type_name).lstrip("-"))


def _api_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return problem(status_of(error), error.detail, title=error.title,
                   type_name=error.type_name, headers=error.headers)


def _store_loading(_: Request, error: Exception) -> JSONResponse:
    return problem(503, str(error).splitlines()[0], title="The store is loading",
                   type_name="store-loading", headers={"Retry-After": LOADING_RETRY_AFTER})


def _not_modified(_: Request, error: Exception) -> Response:
    assert isinstance(error, NotModified)
    return Response(status_code=304, headers=error.headers)


def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": ".".join(str(part) for part in item.get("loc", ())),
         "message": item.get("msg", ""), "type": item.get("type", "")}
        for item in jsonable_encoder(error.errors())
    ]
    return problem(422, "the request is not valid; see errors", title="Invalid input",
                   type_name="invalid-input", errors=errors)


def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:  # FastAPI could not parse the body (too deep, huge number)
        return problem(422, "the request body could not be parsed as JSON",
                       title="Invalid input", type_name="invalid-input")
    return problem(error.status_code, str(error.detail),
                   headers=dict(error.headers) if error.headers else None)


def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    """The database did not answer (down, restarting, no connection in time): 503, retry."""
    store = getattr(request.app.state, "store", None)
    if store is not None:
        store.availability.suspect()
    detail = str(error) if isinstance(error, DatabaseUnavailable) else \
        "the database is unavailable; retry"
    log.debug("%s %s: %r", request.method, request.url.path, error)  # the monitor logs it
    return problem(503, detail, title="Database unavailable",
                   type_name="database-unavailable", headers={"Retry-After": "1"})


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "an unexpected error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StoreLoading, _store_loading)
    app.add_exception_handler(NotModified, _not_modified)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting problem+json answers of `statuses`."""
    from api.schemas import Problem

    schema = Problem.model_json_schema()
    return {
        status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM: {"schema": schema}}}
        for status in statuses
    }

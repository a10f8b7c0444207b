"""ASGI middleware: request body limit, and one log line plus metrics per request."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import database_unavailable, problem
from api.metrics import Metrics
from eventstore.feed import DATABASE_UNAVAILABLE

log = logging.getLogger("api.access")
MAX_BODY = 1024 * 1024


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413, with or without Content-Length.

    The body (at most `limit` bytes) is read here and handed on, so chunked uploads are
    counted as they arrive and never reach a route when too large.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, buffered(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = problem(413, f"the request body is larger than {self.limit} bytes",
                         type_name="payload-too-large")
        await answer(scope, receive, send)


class DatabaseErrors:
    """A database failure in a middleware (the idempotency claim) answers 503 like one in a
    route, instead of reaching the server's 500 handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except DATABASE_UNAVAILABLE as error:
            if started:
                raise
            await database_unavailable(Request(scope), error)(scope, receive, send)


class AccessLog:
    """One line per request (method, route, status, duration); metrics by route template;
    a `Server-Timing: app;dur=<ms>` header on every answer."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                # The server's time to the answer's headers: what benchmarks compare.
                spent = (time.perf_counter() - started) * 1000
                MutableHeaders(scope=message).append("Server-Timing", f"app;dur={spent:.2f}")
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            seconds = time.perf_counter() - started
            route = _route_of(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            log.info("%s %s %s %.1fms", scope["method"], route, status, seconds * 1000,
                     extra={"method": scope["method"], "route": route, "status": status,
                            "duration_ms": round(seconds * 1000, 1)})


def _route_of(scope: Scope) -> str:
    """The route template (`/v1/objectives/{objective_id}`), never the raw path or query."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


def buffered(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read `body` to the app once, then passes through."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay

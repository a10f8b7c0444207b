"""The FastAPI application: built around a Store, infrastructure started in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from api.auth import TokenStore
from api.config import ApiConfig
from api.errors import install_error_handlers
from api.idempotency import Idempotency
from api.metrics import Metrics
from api.middleware import AccessLog, BodyLimit, DatabaseErrors
from api.routers import (
    cycles,
    events,
    export,
    integrity,
    key_results,
    objectives,
    ops,
    organisation,
    reads,
    reports,
)
from api.settle import Settler
from api.sse import Broadcaster
from api.tables import ensure_api_tables
from api.ui.pages import install_ui
from api.writer import Commands, CommandWriter
from eventstore import Store
from eventstore.sealer import Sealer, start_sealer
from projections.registry import PROJECTIONS
from projections.runner import RunningProjections, start_projections

log = logging.getLogger(__name__)
STOP_WAIT = 2.0  # seconds for each part to stop at shutdown
DESCRIPTION = """Event-sourced OKRs: objectives aligned in a tree per cycle, key results with
check-ins, bitemporal time travel (`as_of`, `valid_at`), an audit trail and a live event feed.

Authenticate with `Authorization: Bearer <token>` (the **Authorize** button). Errors are
`application/problem+json`. See docs/api.md for roles, idempotency and streaming."""


def create_app(
    store: Store, config: ApiConfig | None = None, *, start_background: bool = False,
    relay: Any = None,
) -> FastAPI:
    """The API on `store`; with `start_background`, it also runs the projections."""
    config = config or ApiConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = store.new_pool("okr-api", max_size=16)
        claims = store.new_pool("okr-idempotency", max_size=16)
        await anyio.to_thread.run_sync(pool.open)
        await anyio.to_thread.run_sync(claims.open)
        try:
            with pool.connection() as conn:
                ensure_api_tables(conn)
            app.state.api_pool, app.state.idempotency_pool = pool, claims
            app.state.settler = Settler(
                store.pool, store.transaction_clock(),
                tuple(spec.tracking_name for spec in PROJECTIONS.values()))
            app.state.tokens = TokenStore(pool, config.bootstrap_token)
            projections, sealer = (
                await anyio.to_thread.run_sync(_start_followers, store)
                if start_background else (None, None)
            )
            app.state.sealer = sealer
            broadcaster = Broadcaster(store)
            await broadcaster.start()
            writer = CommandWriter(store.app, on_batch=app.state.metrics.command_batch.observe)
            writer.start()
            app.state.projections, app.state.broadcaster = projections, broadcaster
            app.state.commands = Commands(writer)
            try:
                yield
            finally:
                await stop_parts(writer, broadcaster, projections, sealer)
        finally:
            await anyio.to_thread.run_sync(pool.close, 0.5)
            await anyio.to_thread.run_sync(claims.close, 0.5)

    # Swagger UI served from the package, not a CDN: /docs works offline too.
    app = FastAPIOffline(
        title="okr-ledger", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
        openapi_tags=[
            {"name": "organisation", "description": "Teams and people"},
            {"name": "auth", "description": "API tokens"},
            {"name": "cycles", "description": "Planning periods"},
            {"name": "objectives", "description": "Objectives and their alignment"},
            {"name": "key results", "description": "Key results, check-ins, grades"},
            {"name": "reads", "description": "Tree, audit, changes, history, engagement"},
            {"name": "events", "description": "The global event log: pages and SSE"},
            {"name": "integrity", "description": "The hash chain sealing the event log"},
            {"name": "reports", "description": "Downloads: CSV, XLSX, JSON"},
            {"name": "operations", "description": "Health, readiness, metrics"},
        ],
    )
    app.state.store = store
    app.state.relay = relay
    app.state.projections = None
    app.state.sealer = None
    app.state.metrics = Metrics()
    app.state.read_wait_timeout = 5.0
    app.state.ready_max_lag = 1000
    app.state.sse_heartbeat = 15.0
    install_error_handlers(app)
    for router in (organisation, cycles, objectives, key_results, reads, reports, events,
                   integrity, export, ops):
        app.include_router(router.router)
    install_ui(app)
    # Outermost last: access log -> body limit -> database errors -> idempotency -> routes.
    app.add_middleware(Idempotency, state=app.state)
    app.add_middleware(DatabaseErrors)
    app.add_middleware(BodyLimit)
    app.add_middleware(AccessLog, metrics=app.state.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def stop_parts(
    writer: CommandWriter, broadcaster: Broadcaster, projections: RunningProjections | None,
    sealer: Sealer | None,
) -> None:
    """Stop the writer, the event streams and the followers side by side, `STOP_WAIT`
    seconds at most: SIGTERM stops the server in seconds whatever the database's state (a
    part stuck on a database that hangs is left behind; docs/operations.md)."""
    followers = [f for f in (projections, sealer) if f is not None]
    for follower in followers:
        follower.stop()  # they finish their batch while the others stop
    with anyio.move_on_after(STOP_WAIT):
        async with anyio.create_task_group() as parts:
            parts.start_soon(_in_thread, writer.stop, STOP_WAIT)
            parts.start_soon(broadcaster.stop)
            for follower in followers:
                parts.start_soon(_in_thread, follower.join, STOP_WAIT)


async def _in_thread(stop: Callable[[float], object], timeout: float) -> None:
    await anyio.to_thread.run_sync(stop, timeout, abandon_on_cancel=True)


def _start_followers(store: Store) -> tuple[RunningProjections, Sealer]:
    """The followers of the log that run with the API: the projections and the sealer."""
    return start_projections(store), start_sealer(store)


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes a POST safe to retry: a replay with the same body returns the first "
    "answer and records nothing; the same key with another body is refused (422)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus the `Idempotency-Key` header (handled by middleware)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description,
            routes=app.routes, tags=app.openapi_tags,
        )
        for path, operations in schema["paths"].items():
            post = operations.get("post")
            if post is not None and path.startswith("/v1/"):
                post.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
        app.openapi_schema = schema
    return app.openapi_schema

"""Operations: liveness, readiness and Prometheus metrics (no token needed)."""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import psycopg
from eventsourcing.persistence import PersistenceError
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import schemas as s
from api.deps import StoreDep
from api.metrics import Metrics
from eventstore.feed import DATABASE_UNAVAILABLE
from projections.runner import projection_lag

router = APIRouter(tags=["operations"])
READY_TIMEOUT = 1.5  # seconds: probes time out after 2 s by default (docs/operations.md)


@router.get("/healthz", response_model=s.Health)
async def healthz() -> dict[str, object]:
    """Liveness: the process runs and answers (on the event loop, whatever the database's
    state: a restart would not bring the database back; see /readyz)."""
    return {"status": "ok", "checks": {}}


@router.get("/readyz", response_model=s.Health,
            responses={503: {"model": s.Health, "description": "Not ready, and why"}})
async def readyz(request: Request, store: StoreDep) -> Any:
    """Readiness: the database answers, the projections run and are not far behind.
    Answered within 2 s whatever the database's state; `checks` says why when not ready."""
    if not store.availability.up:
        return _unready({"database": f"unavailable: {store.availability.reason}"})
    checks: dict[str, Any] = {}
    try:
        with anyio.fail_after(READY_TIMEOUT):
            lag = await anyio.to_thread.run_sync(projection_lag, store, abandon_on_cancel=True)
    except TimeoutError:
        return _unready({"database": f"no answer within {READY_TIMEOUT} s"})
    except (*DATABASE_UNAVAILABLE, psycopg.Error, PersistenceError) as error:
        return _unready({"database": f"unavailable: {type(error).__name__}"})
    checks["database"] = "ok"
    bound: int = request.app.state.ready_max_lag
    checks["projection_lag"] = lag
    running = request.app.state.projections
    failed = running is not None and running.error is not None
    if failed:
        checks["projections"] = f"stopped: {type(running.error).__name__}"
    if failed or not lag or max(lag.values()) > bound:
        return _unready(checks)
    return {"status": "ok", "checks": checks}


def _unready(checks: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503,
                        headers={"Retry-After": "1"})


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
def metrics(request: Request, store: StoreDep) -> Response:
    """Prometheus metrics: requests, latency, projection and relay lag, SSE clients."""
    registry: Metrics = request.app.state.metrics
    try:
        for name, lag in projection_lag(store).items():
            registry.projection_lag.labels(name).set(lag)
    except (*DATABASE_UNAVAILABLE, PersistenceError):
        pass  # the lag is unknown while the database is away; readyz reports that
    relay = request.app.state.relay
    if relay is not None:
        with contextlib.suppress(*DATABASE_UNAVAILABLE, PersistenceError):
            registry.relay_lag().set(relay.lag())
    registry.sse_clients.set(len(request.app.state.broadcaster.subscriptions))
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

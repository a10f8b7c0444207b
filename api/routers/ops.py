"""Operations: liveness, readiness and Prometheus metrics (no token needed)."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import schemas as s
from api.deps import StoreDep
from api.metrics import Metrics
from projections.runner import projection_lag

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=s.Health)
def healthz() -> dict[str, object]:
    """Liveness: the process is up."""
    return {"status": "ok", "checks": {}}


@router.get("/readyz", response_model=s.Health,
            responses={503: {"model": s.Health, "description": "Not ready"}})
def readyz(request: Request, store: StoreDep) -> Any:
    """Readiness: the database answers and the projections are not far behind."""
    checks: dict[str, Any] = {}
    try:
        lag = projection_lag(store)
        checks["database"] = "ok"
    except (psycopg.Error, PersistenceError) as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    bound: int = request.app.state.ready_max_lag
    checks["projection_lag"] = lag
    running = request.app.state.projections
    failed = running is not None and running.error is not None
    if failed:
        checks["projections"] = f"stopped: {type(running.error).__name__}"
    if failed or not lag or max(lag.values()) > bound:
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    return {"status": "ok", "checks": checks}


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
def metrics(request: Request, store: StoreDep) -> Response:
    """Prometheus metrics: requests, latency, projection and relay lag, SSE clients."""
    registry: Metrics = request.app.state.metrics
    try:
        for name, lag in projection_lag(store).items():
            registry.projection_lag.labels(name).set(lag)
    except (psycopg.Error, PersistenceError):
        pass  # the lag is unknown while the database is away; readyz reports that
    relay = request.app.state.relay
    if relay is not None:
        with contextlib.suppress(psycopg.Error, PersistenceError):
            registry.relay_lag().set(relay.lag())
    registry.sse_clients.set(len(request.app.state.broadcaster.subscriptions))
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

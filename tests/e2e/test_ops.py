"""Health, readiness, metrics and the access log."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from eventstore import Store
from okr.commands.serve import start_relay_if_configured
from okr.settings import Settings
from tests.support.http import BOOTSTRAP, Api, Org


def test_healthz_answers_while_the_process_is_up(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_readyz_is_ok_when_caught_up_and_503_when_lag_exceeds_the_bound(
    api: Api, app: FastAPI, org: Org
) -> None:
    last = api.ok("POST", "/v1/teams", {"name": "Caught up"})
    api.read("/v1/teams", last["position"])
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]["projection_lag"]) >= {"audit", "directory"}
    app.state.ready_max_lag = -1
    assert api.client.get("/readyz").status_code == 503


def test_metrics_count_requests_by_route_and_status(api: Api, org: Org) -> None:
    api.get(f"/v1/objectives/{org.team}")
    text = api.client.get("/metrics").text
    assert ('okr_http_requests_total{method="GET",route="/v1/objectives/{objective_id}",'
            'status="404"} 1.0') in text
    assert "okr_http_request_duration_seconds_bucket" in text
    assert 'okr_projection_lag_events{projection="audit"}' in text
    assert "okr_sse_clients 0.0" in text


def test_access_log_has_route_status_and_duration_and_never_the_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="api.access"):
        api.get("/v1/teams", params={"secret": "x"})
    [line] = [r for r in caplog.records if r.name == "api.access"]
    assert line.getMessage().startswith("GET /v1/teams 200 ")
    assert line.duration_ms >= 0  # type: ignore[attr-defined]
    assert BOOTSTRAP not in caplog.text and "secret" not in caplog.text


def test_openapi_documents_every_route_and_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary") and operation.get("description"), (method, path)
    assert client.get("/docs").status_code == 200


def test_metrics_report_the_relay_lag_when_a_relay_runs(store: Store) -> None:
    class Relay:
        def lag(self) -> int:
            return 7

    with TestClient(create_app(store, relay=Relay())) as client:
        assert "okr_relay_lag_events 7.0" in client.get("/metrics").text


def test_metrics_omit_the_relay_lag_when_no_relay_runs(client: TestClient) -> None:
    assert "okr_relay_lag_events" not in client.get("/metrics").text


def test_serve_starts_no_relay_without_kafka(store: Store) -> None:
    assert start_relay_if_configured(store, Settings(kafka_bootstrap_servers=None)) is None

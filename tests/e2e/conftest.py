"""End-to-end fixtures: the real app on a fresh PostgreSQL database, projections running."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiConfig
from eventstore import Store
from okr.bootstrap import start_store
from okr.settings import Settings
from tests.support.http import BOOTSTRAP, Api, Org


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = start_store(Settings(database_url=database_url))
    yield store
    store.close()


@pytest.fixture
def app(store: Store) -> FastAPI:
    app = create_app(store, ApiConfig(bootstrap_token=BOOTSTRAP), start_background=True)
    app.state.sse_heartbeat = 0.5
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def live_api(server: str) -> Iterator[Api]:
    """Api helpers against the real server (use instead of `api`, not with it)."""
    with httpx.Client(base_url=server, timeout=10.0) as http:
        yield Api(http)  # type: ignore[arg-type]


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free port, in a thread."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            timeout_graceful_shutdown=2)
    uvi = uvicorn.Server(config)
    thread = threading.Thread(target=uvi.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(500):
        if uvi.started:
            break
        started.wait(0.02)
    assert uvi.started
    yield f"http://127.0.0.1:{port}"
    uvi.should_exit = True
    thread.join(10)


@pytest.fixture
def org(api: Api) -> Org:
    team = api.team("Platform")
    person = api.person("Grace Hopper", team)
    return Org(team=team, person=person, admin=api.token("admin"),
               member=api.token("member", person), viewer=api.token("viewer"))

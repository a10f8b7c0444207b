"""End-to-end fixtures: the real app on a fresh PostgreSQL database, projections running."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from okr.bootstrap import Runtime, start_runtime
from okr.settings import Settings

BOOTSTRAP = "test-bootstrap-token-0123456789abcdef"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """A TestClient with the bootstrap token, and helpers to build an organisation."""

    client: TestClient

    def request(self, method: str, url: str, token: str = BOOTSTRAP, **kw: Any) -> Any:
        headers = {**bearer(token), **kw.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", url, json=json, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.request("GET", url, **kw)

    def ok(self, method: str, url: str, json: Any = None, **kw: Any) -> dict[str, Any]:
        answer = self.request(method, url, json=json, **kw)
        assert answer.status_code in (200, 201), answer.text
        body: dict[str, Any] = answer.json()
        return body

    def team(self, name: str = "Platform", parent_id: str | None = None) -> str:
        return str(self.ok("POST", "/v1/teams", {"name": name, "parent_id": parent_id})["id"])

    def person(self, name: str = "Ada", team_id: str | None = None) -> str:
        email = f"{name.lower().replace(' ', '.')}@example.com"
        body = {"name": name, "email": email, "team_id": team_id}
        return str(self.ok("POST", "/v1/people", body)["id"])

    def token(self, role: str, person_id: str | None = None) -> str:
        person_id = person_id or self.person(f"{role} person")
        answer = self.ok("POST", "/v1/tokens", {"person_id": person_id, "role": role})
        return str(answer["token"])

    def cycle(self, key: str = "2026-Q4", starts_on: str = "2026-10-01",
              ends_on: str = "2026-12-31") -> str:
        self.ok("POST", "/v1/cycles", {"key": key, "starts_on": starts_on, "ends_on": ends_on})
        return key

    def objective(self, owner_id: str, cycle: str = "2026-Q4", title: str = "Delight users",
                  parent_id: str | None = None, owner_type: str = "team") -> dict[str, Any]:
        return self.ok("POST", "/v1/objectives", {
            "cycle": cycle, "title": title, "owner": {"type": owner_type, "id": owner_id},
            "parent_id": parent_id})

    def key_result(self, objective_id: str, title: str = "Signups", start: float = 0,
                   target: float = 100, kind: str = "numeric") -> dict[str, Any]:
        return self.ok("POST", f"/v1/objectives/{objective_id}/key-results",
                       {"title": title, "kind": kind, "start": start, "target": target})

    def read(self, url: str, position: int, **kw: Any) -> Any:
        """A read that waits for the projections to reach `position` (read your writes)."""
        params = {**kw.pop("params", {}), "after_position": position}
        return self.get(url, params=params, **kw)


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = start_runtime(Settings(database_url=database_url,
                                bootstrap_token=SecretStr(BOOTSTRAP)))
    yield rt
    rt.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    app = create_app(runtime, start_background=True)
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


@dataclass
class Org:
    """A small organisation with one token per role."""

    team: str
    person: str
    admin: str
    member: str
    viewer: str


@pytest.fixture
def org(api: Api) -> Org:
    team = api.team("Platform")
    person = api.person("Grace Hopper", team)
    return Org(team=team, person=person, admin=api.token("admin"),
               member=api.token("member", person), viewer=api.token("viewer"))

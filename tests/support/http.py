"""The API as the end-to-end tests call it: the bootstrap token, a client with helpers to
build an organisation, and the check of a problem+json answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

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


@dataclass
class Org:
    """A small organisation with one token per role."""

    team: str
    person: str
    admin: str
    member: str
    viewer: str


PROBLEM = "application/problem+json"


def assert_problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in answer.text and "SELECT" not in answer.text
    return body

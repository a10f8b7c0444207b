"""The dashboard under test: the real app on a store, served on a port of its own, people
with tokens of each role, and signing in from a browser page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from api.app import create_app
from api.config import ApiConfig
from eventstore import Store
from tests.support.http import BOOTSTRAP, bearer
from tests.support.live_server import live_server

SESSION_COOKIE = "okr_session"


@contextmanager
def serve_dashboard(store: Store, **state: Any) -> Iterator[str]:
    """The whole app (API, pages, projections) on `store`; yields its base URL."""
    app = create_app(store, ApiConfig(bootstrap_token=BOOTSTRAP), start_background=True)
    for name, value in state.items():
        setattr(app.state, name, value)
    with live_server(app) as base:
        yield base


@dataclass
class People:
    """A team, a member and a viewer of it, with their tokens (and the bootstrap admin's)."""

    team: str
    member: str
    viewer: str
    tokens: dict[str, str] = field(default_factory=dict)


def api(base: str, token: str = BOOTSTRAP) -> httpx.Client:
    return httpx.Client(base_url=base, headers=bearer(token), timeout=15.0)


def ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    return body


def make_people(base: str, team_name: str = "Platform") -> People:
    """A team and two people on it, the first a member, the second a viewer."""
    with api(base) as admin:
        team = ok(admin.post("/v1/teams", json={"name": team_name}))["id"]
        ids, tokens = {}, {"admin": BOOTSTRAP}
        for role, name in (("member", "Maria Member"), ("viewer", "Victor Viewer")):
            email = f"{role}.{team_name.lower()}@example.com"
            ids[role] = ok(admin.post("/v1/people", json={
                "name": name, "email": email, "team_id": team}))["id"]
            tokens[role] = ok(admin.post("/v1/tokens", json={
                "person_id": ids[role], "role": role}))["token"]
    return People(team=team, member=ids["member"], viewer=ids["viewer"], tokens=tokens)


def sign_in(page: Page, base: str, token: str, start: str = "/ui/") -> None:
    """Open `start`, be sent to the sign-in page, sign in, land back on `start`."""
    page.goto(base + start)
    expect(page).to_have_url(re.compile(re.escape(f"{base}/ui/login?next=")))
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def session_cookie(page: Page) -> dict[str, Any]:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    return dict(cookie)

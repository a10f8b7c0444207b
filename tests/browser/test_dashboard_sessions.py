"""Signing in and out of the dashboard in Chromium: a session cookie that is not the token,
kept server-side (it survives a restart), ended on the server by signing out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from eventstore import Store
from okr.bootstrap import start_store
from okr.settings import Settings
from tests.support.dashboard import (
    SESSION_COOKIE,
    People,
    make_people,
    serve_dashboard,
    session_cookie,
    sign_in,
)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = start_store(Settings(database_url=database_url))
    yield store
    store.close()


@pytest.fixture
def base(store: Store) -> Iterator[str]:
    with serve_dashboard(store) as url:
        yield url


@pytest.fixture
def people(base: str) -> People:
    return make_people(base)


def test_without_a_session_a_page_redirects_to_sign_in_and_back_after_it(
    page: Page, base: str, people: People
) -> None:
    page.goto(f"{base}/ui/audit?actor=admin")
    expect(page).to_have_url(f"{base}/ui/login?next=%2Fui%2Faudit%3Factor%3Dadmin")
    page.get_by_label("Token").fill(people.tokens["viewer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/ui/audit?actor=admin")
    expect(page.get_by_text("Signed in as Victor Viewer, viewer")).to_be_visible()


def test_an_unknown_token_opens_no_session(page: Page, base: str, people: People) -> None:
    page.goto(f"{base}/ui/login")
    page.get_by_label("Token").fill("okr_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That token is not known. Use an API token of yours.")
    assert [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE] == []


def test_the_session_cookie_is_http_only_same_site_strict_and_never_the_token(
    page: Page, base: str, people: People
) -> None:
    sign_in(page, base, people.tokens["member"])
    cookie = session_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert people.tokens["member"] not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # scripts cannot read it


def test_signing_out_ends_the_session_on_the_server_so_the_old_cookie_is_refused(
    page: Page, base: str, people: People
) -> None:
    sign_in(page, base, people.tokens["member"])
    old = session_cookie(page)["value"]
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/ui/login")
    # The old cookie, sent again as it was, opens nothing: neither a page nor a read.
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: old}) as replay:
        assert replay.get("/ui/").status_code == 303
        assert replay.get("/ui/").headers["location"].startswith("/ui/login")
        assert replay.get("/v1/teams").status_code == 401


def test_a_session_survives_a_restart_of_the_server(page: Page, store: Store) -> None:
    with serve_dashboard(store) as before:
        people = make_people(before)
        sign_in(page, before, people.tokens["viewer"])
        cookie = session_cookie(page)["value"]
    with serve_dashboard(store) as after, \
            httpx.Client(base_url=after, cookies={SESSION_COOKIE: cookie}) as browser:
        answer = browser.get("/ui/")
    assert answer.status_code == 200 and "Signed in as Victor Viewer" in answer.text


def test_an_expired_session_sends_back_to_sign_in(page: Page, store: Store) -> None:
    with serve_dashboard(store, session_ttl=timedelta(0)) as base:
        people = make_people(base)
        page.goto(f"{base}/ui/login")
        page.get_by_label("Token").fill(people.tokens["viewer"])
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{base}/ui/login?next=%2Fui%2F")

"""The dashboard over HTTP: security headers, redirects, sessions and CSRF at the edges,
HTML error pages, htmx fragments (the browser tests cover what a person does)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eventstore import Store
from eventstore.txtime import loading
from tests.support.http import BOOTSTRAP, Api, Org

PAGES = ("/ui/", "/ui/tree?cycle=2026-Q4", "/ui/changes?cycle=2026-Q4", "/ui/history",
         "/ui/health?cycle=2026-Q4", "/ui/audit", "/ui/logout")


def sign_in(client: TestClient, token: str = BOOTSTRAP, next_url: str = "/ui/") -> Any:
    form = client.get("/ui/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    return client.post("/ui/login", data={"token": token, "csrf_token": csrf[1],
                                          "next": next_url}, follow_redirects=False)


@pytest.fixture
def signed_in(client: TestClient, api: Api, org: Org) -> TestClient:
    api.cycle()
    objective = api.objective(org.team)["id"]
    api.objective(org.team, title="Child", parent_id=objective)
    assert sign_in(client).status_code == 303
    return client


def test_the_home_page_is_the_dashboard(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (307, "/ui/")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_says_nothing_loads_from_another_origin(
    signed_in: TestClient, path: str
) -> None:
    answer = signed_in.get(path)
    assert answer.status_code == 200, answer.text
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy and "unsafe" not in policy and "*" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"].startswith("text/html")


def test_static_files_carry_the_policy_and_are_revalidated(client: TestClient) -> None:
    for path in ("/ui/static/ui.css", "/ui/static/charts.js", "/ui/static/vendor/htmx.min.js"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-cache"
        assert "default-src 'self'" in answer.headers["content-security-policy"]


def test_without_a_session_pages_send_to_sign_in_and_htmx_is_told_to_go_there(
    client: TestClient,
) -> None:
    answer = client.get("/ui/tree?cycle=2026-Q4", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=%2Fui%2Ftree%3Fcycle%3D2026-Q4"
    partial = client.get("/ui/tree?cycle=2026-Q4", headers={"HX-Request": "true"})
    assert partial.headers["HX-Redirect"].startswith("/ui/login")


@pytest.mark.parametrize("target", ["//evil.example/ui/", "https://evil.example/", "/v1/teams",
                                    "/ui\\\\evil.example"])
def test_signing_in_goes_back_only_to_a_page_of_the_dashboard(
    client: TestClient, target: str
) -> None:
    answer = sign_in(client, next_url=target)
    assert (answer.status_code, answer.headers["location"]) == (303, "/ui/")


def test_a_sign_in_form_without_its_cookie_is_refused(app: FastAPI) -> None:
    with TestClient(app) as first, TestClient(app) as other:
        form = first.get("/ui/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        answer = other.post("/ui/login", data={"token": BOOTSTRAP, "csrf_token": csrf[1]},
                            follow_redirects=False)
    assert answer.status_code == 403 and "okr_session" not in answer.headers.get(
        "set-cookie", "")


def test_the_session_cookie_is_secure_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        answer = sign_in(client)
    cookie = answer.headers["set-cookie"]
    assert "okr_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert answer.headers["strict-transport-security"].startswith("max-age=")


def test_the_server_keeps_neither_the_token_nor_the_session_id(
    signed_in: TestClient, store: Store
) -> None:
    cookie = signed_in.cookies["okr_session"]
    with psycopg.connect(store.database_url) as conn:
        rows = conn.execute("SELECT * FROM okr_ui_sessions").fetchall()
    assert len(rows) == 1
    assert not [value for value in rows[0] if isinstance(value, str)
                and (cookie in value or BOOTSTRAP in value)]


def test_a_session_reads_the_api_but_commands_need_a_token(signed_in: TestClient) -> None:
    assert signed_in.get("/v1/teams").status_code == 200
    answer = signed_in.post("/v1/teams", json={"name": "Forged"})
    assert answer.status_code == 401


def test_empty_fields_of_a_form_are_left_out_of_the_address(signed_in: TestClient) -> None:
    answer = signed_in.get("/ui/audit?actor=&since=&entity_id=", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/ui/audit")
    partial = signed_in.get("/ui/audit?actor=admin&since=", headers={"HX-Request": "true"})
    assert partial.headers["HX-Push-Url"] == "/ui/audit?actor=admin"


@pytest.mark.parametrize("path, status", [
    (f"/ui/objectives/{uuid.uuid4()}", 404), ("/ui/objectives/not-an-id", 422),
    ("/ui/tree?cycle=2026-Q4&as_of=yesterday", 422), ("/ui/tree?cycle=1999-Q1", 404),
    ("/ui/audit?entity_id=nope", 422), (f"/ui/key-results/{uuid.uuid4()}", 404),
])
def test_errors_are_pages_with_the_api_status(
    signed_in: TestClient, path: str, status: int
) -> None:
    answer = signed_in.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert "Traceback" not in answer.text and "SELECT" not in answer.text


def test_htmx_gets_the_tree_alone_and_a_history_restore_the_whole_page(
    signed_in: TestClient,
) -> None:
    part = signed_in.get("/ui/tree?cycle=2026-Q4", headers={"HX-Request": "true"})
    assert part.text.lstrip().startswith('<section id="tree-view"') and "<html" not in part.text
    whole = signed_in.get("/ui/tree?cycle=2026-Q4", headers={
        "HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in whole.text


def test_a_node_opened_without_htmx_goes_to_its_subtree(
    signed_in: TestClient, api: Api
) -> None:
    tree = api.get("/v1/alignment-tree", params={"cycle": "2026-Q4"}).json()
    parent = tree["roots"][0]["id"]
    answer = signed_in.get(f"/ui/tree/children?cycle=2026-Q4&parent={parent}",
                           follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/ui/tree?cycle=2026-Q4&root={parent}"
    children = signed_in.get(f"/ui/tree/children?cycle=2026-Q4&parent={parent}",
                             headers={"HX-Request": "true"})
    assert "Child" in children.text and children.text.lstrip().startswith("<ul")


def test_a_viewer_check_in_with_a_valid_form_is_forbidden(
    client: TestClient, api: Api, org: Org
) -> None:
    api.cycle()
    objective = api.objective(org.team)["id"]
    kr = api.key_result(objective)["id"]
    assert sign_in(client, org.viewer).status_code == 303
    page = client.get("/ui/logout").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    answer = client.post(f"/ui/key-results/{kr}/check-ins",
                         data={"value": "3", "csrf_token": csrf[1]})
    assert answer.status_code == 403
    assert api.get(f"/v1/key-results/{kr}/check-ins").json()["items"] == []


@pytest.mark.parametrize("page", ["/ui/tree?cycle=2026-Q4", "/ui/changes?cycle=2026-Q4",
                                  "/ui/audit", "/ui/history"])
def test_a_views_report_link_downloads_with_the_session(signed_in: TestClient, page: str) -> None:
    html = signed_in.get(page).text
    found = re.search(r'<a href="(/v1/reports/[^"]+)" download>', html)
    assert found is not None, "no report link"
    href = found[1].replace("&amp;", "&")
    assert "format=csv" in href
    answer = signed_in.get(href)  # the session cookie only, no bearer token
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment")


def test_a_page_of_an_instant_far_ahead_is_refused_like_the_json_read(
    signed_in: TestClient,
) -> None:
    answer = signed_in.get("/ui/tree?cycle=2026-Q4&as_of=2999-01-01T00:00:00Z")
    assert answer.status_code == 422 and "ahead" in answer.text


def test_while_the_store_loads_pages_ask_to_retry(client: TestClient, store: Store) -> None:
    assert sign_in(client).status_code == 303  # the bootstrap token needs no data
    with loading(store.app):
        answer = client.get("/ui/")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert "retry" in answer.text.lower() and answer.headers["content-type"].startswith(
        "text/html")

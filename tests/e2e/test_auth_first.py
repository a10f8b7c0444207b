"""Authentication and authorisation come first, on every route: before the body is parsed,
the path and query are validated, or a read waits for `after_position`."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.support.http import BOOTSTRAP, Api, Org, assert_problem, bearer
from tests.support.routes import ADMIN_WRITES, MATRIX, MEMBER_WRITES, READS, X

FAR = {"after_position": "999999999"}
MALFORMED = b'{"not json'
FAST = 1.0  # seconds: far below the read wait, which would answer 503 after it


def _send(api: Api, method: str, url: str, token: str | None, *, bad_path: bool = False
          ) -> tuple[httpx.Response, float]:
    """The request with everything else wrong: a malformed body, an unreachable position."""
    if bad_path:
        url = url.replace(X, "not-a-uuid")
    headers = {"Content-Type": "application/json", **(bearer(token) if token else {})}
    started = time.perf_counter()
    if method == "GET":
        answer = api.client.request(method, url, params=FAR, headers=headers)
    else:
        answer = api.client.request(method, url, content=MALFORMED, headers=headers)
    return answer, time.perf_counter() - started


@pytest.fixture
def waits(app: FastAPI) -> None:
    app.state.read_wait_timeout = 3.0


@pytest.mark.usefixtures("waits")
@pytest.mark.parametrize(("method", "url"), [(m, u) for m, u, _, _ in MATRIX],
                         ids=[f"{m} {u.split('?')[0]}" for m, u, _, _ in MATRIX])
def test_without_a_token_every_route_is_401_before_parsing_or_waiting(
    api: Api, method: str, url: str
) -> None:
    for bad_path in (False, True):
        for token in (None, "not-a-known-token"):
            answer, seconds = _send(api, method, url, token, bad_path=bad_path)
            assert_problem(answer, 401)
            assert seconds < FAST, (token, bad_path, seconds)


WRITES = [(*w, "admin") for w in ADMIN_WRITES] + [(*w, "member") for w in MEMBER_WRITES]


@pytest.mark.parametrize(("method", "url", "needed"), [(m, u, n) for m, u, _, n in WRITES],
                         ids=[f"{m} {u}" for m, u, _, _ in WRITES])
def test_a_role_too_low_is_403_before_the_body_or_path_is_validated(
    api: Api, org: Org, method: str, url: str, needed: str
) -> None:
    lower = ["viewer"] + (["member"] if needed == "admin" else [])
    for role in lower:
        for bad_path in (False, True):
            answer, _ = _send(api, method, url, getattr(org, role), bad_path=bad_path)
            assert_problem(answer, 403)


def test_the_role_matrix_names_every_route(app: FastAPI) -> None:
    listed = {(m, u.split("?")[0]) for m, u, _, _ in MATRIX} | {("GET", "/v1/events/stream")}
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/v1"):
            continue
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", route.path) + "$")
        for method in route.methods:
            assert any(m == method and pattern.match(u) for m, u in listed), (method, route.path)


def test_the_event_stream_without_a_token_is_401(api: Api) -> None:
    answer, seconds = _send(api, "GET", "/v1/events/stream", None)
    assert_problem(answer, 401)
    assert seconds < FAST


def test_sixty_unauthenticated_waiting_requests_do_not_slow_an_authenticated_read(
    server: str, app: FastAPI
) -> None:
    app.state.read_wait_timeout = 5.0
    urls = [u for _, u, _ in READS]
    started = threading.Barrier(61)

    def unauthenticated(i: int) -> tuple[int, float]:
        with httpx.Client(base_url=server, timeout=30) as http:
            started.wait()
            begin = time.perf_counter()
            answer = http.get(urls[i % len(urls)], params=FAR)
            return answer.status_code, time.perf_counter() - begin

    with ThreadPoolExecutor(max_workers=60) as pool:
        flood = [pool.submit(unauthenticated, i) for i in range(60)]
        with httpx.Client(base_url=server, timeout=30, headers=bearer(BOOTSTRAP)) as http:
            started.wait()
            begin = time.perf_counter()
            read = http.get("/v1/teams")
            read_seconds = time.perf_counter() - begin
        answers: list[Any] = [f.result() for f in flood]
    assert read.status_code == 200
    assert read_seconds < 2.0
    assert {status for status, _ in answers} == {401}
    assert max(seconds for _, seconds in answers) < 2.0


def test_a_keyed_request_with_an_unknown_token_is_401_and_claims_no_idempotency_record(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_claims(*_: Any) -> Any:
        raise AssertionError("an unauthenticated request claimed an idempotency record")

    monkeypatch.setattr(app.state.idempotency_pool, "getconn", no_claims)
    for url, body in (("/v1/teams", {"name": "T"}), ("/v1/tokens", {"person_id": X})):
        answer = api.client.post(url, json=body, headers={
            **bearer("not-a-known-token"), "Idempotency-Key": "k" * 300})
        assert_problem(answer, 401)

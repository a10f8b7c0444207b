"""Transaction time through HTTP: two `okr serve` processes on one database, answers as of
just-passed instants that never change, and the waits and refusals of unsettled instants."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.http import BOOTSTRAP, Api, Org, assert_problem, bearer
from tests.support.serving import okr_serve

WRITERS_PER_SERVER = 4
CHECK_INS_PER_WRITER = 300


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two `okr serve` processes on one database, as behind a load balancer."""
    with okr_serve(database_url, tmp_path / "a", BOOTSTRAP) as first, \
            okr_serve(database_url, tmp_path / "b", BOOTSTRAP) as second:
        yield [first, second]


def client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers=bearer(BOOTSTRAP), timeout=30)


def ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    return body


def set_up(base: str) -> list[str]:
    """A team, a cycle, an objective and one key result per writer; their ids."""
    with client(base) as http:
        team = ok(http.post("/v1/teams", json={"name": "Platform"}))["id"]
        ok(http.post("/v1/cycles", json={"key": "2026-Q4", "starts_on": "2026-10-01",
                                         "ends_on": "2026-12-31"}))
        objective = ok(http.post("/v1/objectives", json={
            "cycle": "2026-Q4", "title": "Busy", "owner": {"type": "team", "id": team}}))["id"]
        return [ok(http.post(f"/v1/objectives/{objective}/key-results", json={
            "title": f"KR {n}", "kind": "numeric", "start": 0, "target": 1000}))["id"]
            for n in range(2 * WRITERS_PER_SERVER)]


def write(base: str, kr: str) -> int:
    with client(base) as http:
        for value in range(CHECK_INS_PER_WRITER):
            ok(http.post(f"/v1/key-results/{kr}/check-ins", json={"value": value}))
    return CHECK_INS_PER_WRITER


def read_while(servers: list[str], krs: list[str], done: threading.Event
               ) -> list[tuple[str, dict[str, str], int, str, str | None]]:
    """Reads as of just-passed instants, alternating servers, until `done`: each
    (url, query, status, body, OKR-Position)."""
    answers = []
    http = [client(base) for base in servers]
    try:
        while not done.is_set():
            instant = (datetime.now(UTC) - timedelta(milliseconds=1)).isoformat()
            for url, query in (("/v1/alignment-tree", {"cycle": "2026-Q4", "as_of": instant}),
                               (f"/v1/key-results/{krs[len(answers) % len(krs)]}",
                                {"as_of": instant})):
                answer = http[len(answers) % 2].get(url, params=query)
                answers.append((url, query, answer.status_code, answer.text,
                                answer.headers.get("OKR-Position")))
    finally:
        for each in http:
            each.close()
    return answers


def test_two_servers_record_strictly_increasing_times_and_past_answers_never_change(
    two_servers: list[str], database_url: str,
) -> None:
    krs = set_up(two_servers[0])
    done = threading.Event()
    with ThreadPoolExecutor(len(krs) + 1) as pool:
        reader = pool.submit(read_while, two_servers, krs, done)
        writers = [pool.submit(write, two_servers[n % 2], kr) for n, kr in enumerate(krs)]
        written = sum(w.result() for w in writers)
        done.set()
        answers = reader.result()
    assert written == len(krs) * CHECK_INS_PER_WRITER >= 2000
    assert len(answers) >= 50 and all(status == 200 for _, _, status, _, _ in answers)
    changed = []
    with client(two_servers[1]) as http:
        for url, query, _, body, position in answers:
            again = http.get(url, params=query)
            if (again.text, again.headers.get("OKR-Position")) != (body, position):
                changed.append((url, query))
    assert changed == []
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT recorded_at, (convert_from(state, 'UTF8')::jsonb #>> "
            "'{timestamp,_data_}')::timestamptz FROM okrledger_events "
            "ORDER BY notification_id").fetchall()
    assert len(rows) > written
    assert all(a[0] < b[0] for a, b in pairwise(rows))
    assert all(column == in_state for column, in_state in rows)
    times = [e["time"] for e in events_page(two_servers[0], len(rows))]
    assert [datetime.fromisoformat(t) for t in times] == [t for t, _ in rows]


def events_page(base: str, count: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    with client(base) as http:
        while len(items) < count:
            page = ok(http.get("/v1/events", params={
                "after": items[-1]["position"] if items else 0, "limit": 1000}))
            items += page["items"]
    return items


def test_an_instant_more_than_5_s_ahead_is_refused(api: Api, org: Org) -> None:
    api.cycle()
    ahead = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    answer = api.get("/v1/alignment-tree", params={"cycle": "2026-Q4", "as_of": ahead})
    assert_problem(answer, 422)
    assert answer.json()["errors"][0]["field"] == "as_of"
    until = api.get("/v1/audit", params={"until": ahead})
    assert_problem(until, 422)


def test_an_instant_just_ahead_waits_until_it_has_passed_and_then_answers(
    api: Api, org: Org,
) -> None:
    api.cycle()
    objective = api.objective(org.team)
    kr = api.key_result(objective["id"])
    instant = datetime.now(UTC) + timedelta(seconds=1.5)
    with ThreadPoolExecutor(1) as pool:
        began = time.monotonic()
        pending = pool.submit(api.get, f"/v1/key-results/{kr['id']}",
                              params={"as_of": instant.isoformat()})
        # Recorded before the instant (the read is still waiting): the answer shows it.
        checked = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 40})
        answer = pending.result()
    assert answer.status_code == 200, answer.text
    assert time.monotonic() - began >= 1.0
    assert answer.json()["current"] == 40
    assert int(answer.headers["OKR-Position"]) >= checked["position"]


def test_many_readers_of_just_passed_instants_share_the_wait_and_answer_promptly(
    server: str, live_api: Api,
) -> None:
    team = live_api.team("Quiet")
    live_api.cycle()
    objective = live_api.objective(team)

    def read(number: int) -> float:
        with client(server) as http:
            began = time.monotonic()
            instant = (datetime.now(UTC) - timedelta(milliseconds=1)).isoformat()
            answer = http.get(f"/v1/objectives/{objective['id']}", params={"as_of": instant})
            assert answer.status_code == 200, (number, answer.text)
            return time.monotonic() - began

    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(read, range(200)))
    assert max(waits) < 2.0

"""While a loading session writes past times, the API answers 503 with Retry-After; the
README's flow (`okr serve`, then `okr demo`) works."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from domain.clock import clock_installed
from eventstore import Store
from eventstore.txtime import loading
from okr.bootstrap import start_store
from okr.settings import Settings
from tests.support.http import BOOTSTRAP, Api, assert_problem, bearer
from tests.support.serving import OKR, okr_env, okr_serve

PAST = datetime.now(UTC) - timedelta(days=30)


@pytest.fixture
def loader(database_url: str) -> Iterator[Store]:
    """Another process's store on the same database, for its loading session."""
    store = start_store(Settings(database_url=database_url))
    yield store
    store.close()


def assert_loading(answer: httpx.Response) -> None:
    assert_problem(answer, 503)
    assert int(answer.headers["Retry-After"]) >= 1


def test_reads_and_writes_answer_503_with_retry_after_while_a_loading_session_runs(
    api: Api, loader: Store,
) -> None:
    assert api.get("/v1/teams").status_code == 200  # an empty store, not loading yet
    with loading(loader.app), clock_installed(lambda: PAST):
        team = loader.app.create_team(name="Loaded", parent_id=None, actor="admin")
        assert_loading(api.get("/v1/teams"))
        assert_loading(api.get("/v1/alignment-tree", params={
            "cycle": "2026-Q4", "as_of": (PAST + timedelta(days=1)).isoformat()}))
        assert_loading(api.get("/v1/events"))
        assert_loading(api.get("/v1/events/stream"))
        assert_loading(api.post("/v1/teams", {"name": "Meanwhile"}))
    teams = api.get("/v1/teams", params={"after_position": team.position})
    assert [t["name"] for t in teams.json()["items"]] == ["Loaded"]
    then = api.get("/v1/audit", params={"until": (PAST + timedelta(seconds=1)).isoformat()})
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in then.json()["items"]]
    assert recorded == [PAST]


def test_okr_demo_fills_the_store_behind_a_running_okr_serve(
    database_url: str, tmp_path: Path,
) -> None:
    statuses: list[tuple[int, str | None]] = []
    with okr_serve(database_url, tmp_path / "serve", BOOTSTRAP) as base, \
            httpx.Client(base_url=base, headers=bearer(BOOTSTRAP), timeout=30) as http:
        demo = subprocess.Popen([OKR, "demo", "--scale", "small"],
                                env=okr_env(database_url, tmp_path / "demo"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        poll = threading.Event()
        while demo.poll() is None:
            answer = http.get("/v1/teams")
            statuses.append((answer.status_code, answer.headers.get("Retry-After")))
            poll.wait(0.05)
        output = demo.communicate()[0].decode()
        assert demo.returncode == 0, output
        head = http.get("/v1/events", params={"limit": 1}).json()["items"][0]["position"]
        teams = http.get("/v1/teams", params={"after_position": head}).json()["items"]
        cycle = output.split("alignment-tree?cycle=", 1)[1].split("'", 1)[0]
        tree = http.get("/v1/alignment-tree", params={"cycle": cycle,
                                                       "after_position": head})
    # Answers before the load, 503 while it runs, answers again once it is done.
    assert re.fullmatch("2*5*2*", "".join(str(status)[0] for status, _ in statuses))
    assert all(retry for status, retry in statuses if status == 503)
    assert len(teams) >= 5
    assert tree.status_code == 200 and tree.json()["roots"]

# ruff: noqa: F811 - pytest fixtures imported from tests.support.pg_process are parameters here
"""The database goes away under a running `okr serve` (a real PostgreSQL, stopped and
started again): 503 at once while it is away, no acknowledged write lost, recovery on its
own, SIGTERM in seconds."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.http import BOOTSTRAP, Api, assert_problem, bearer
from tests.support.load import WriteLoad
from tests.support.okr_process import OkrServe, okr_serve, status, wait_for
from tests.support.pg_process import PostgresProcess, pg_process, pg_template  # noqa: F401


def build(served: OkrServe) -> list[str]:
    """A cycle, an objective and four key results to check in on."""
    with served.client() as http:
        api = Api(http)  # type: ignore[arg-type]
        team = api.team()
        api.cycle()
        objective = api.objective(team)["id"]
        return [api.key_result(objective, title=f"KR {n}")["id"] for n in range(4)]


class Follower:
    """An SSE client following the log from `after`, collecting the positions it gets."""

    def __init__(self, served: OkrServe, after: int) -> None:
        self.positions: list[int] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(served.base, after),
                                        daemon=True)
        self._thread.start()

    def _run(self, base: str, after: int) -> None:
        try:
            with (httpx.Client(base_url=base, headers=bearer(BOOTSTRAP),
                               timeout=httpx.Timeout(10, read=30)) as http,
                  http.stream("GET", "/v1/events/stream", params={"after": after}) as stream):
                for line in stream.iter_lines():
                    if line.startswith("id: "):
                        self.positions.append(int(line[4:]))
                    if self._stop.is_set():
                        return
        except BaseException as error:
            self.error = error

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(35)


def all_positions(http: httpx.Client, after: int) -> list[int]:
    positions: list[int] = []
    while page := http.get("/v1/events", params={"after": after, "limit": 1000}).json()["items"]:
        positions += [event["position"] for event in page]
        after = page[-1]["position"]
    return positions


def stored_notes(http: httpx.Client, key_results: list[str], position: int) -> list[str]:
    notes = []
    for kr in key_results:
        answer = http.get(f"/v1/key-results/{kr}/check-ins", params={"after_position": position})
        assert answer.status_code == 200, answer.text
        notes += [item["note"] for item in answer.json()["items"]]
    return notes


def timed(http: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    answer = http.get(path)
    return answer, time.monotonic() - began


def test_while_the_database_is_away_requests_answer_503_at_once_and_no_write_is_lost(
    pg_process: PostgresProcess, tmp_path: Path
) -> None:
    with okr_serve(database_url=pg_process.url, data_dir=str(tmp_path)) as served, \
            served.client(timeout=5) as http:
        key_results = build(served)
        head = http.get("/v1/events", params={"limit": 1000}).json()["next_after"]
        follower = Follower(served, head)
        load = WriteLoad(served.base, BOOTSTRAP, key_results).start()
        wait_for(lambda: len(load.acknowledged()) >= 30, 30, "writes before the outage")

        pg_process.stop()
        down = time.monotonic()
        to_503 = wait_for(lambda: status(f"{served.base}/readyz") == 503, 5, "readyz 503")
        read, read_took = timed(http, "/v1/teams")
        ready, ready_took = timed(http, "/readyz")
        stream = http.get("/v1/events/stream")
        wait_for(lambda: len(load.with_status(503, since=down)) >= 20, 10, "writes refused")
        healthy = http.get("/healthz").status_code

        pg_process.start()
        up = time.monotonic()
        recovery = wait_for(lambda: status(f"{served.base}/readyz") == 200, 30, "recovery")
        wait_for(lambda: len(load.acknowledged(since=up)) >= 30, 30, "writes after the outage")
        load.stop()
        last = max(o.position or 0 for o in load.acknowledged())
        notes = stored_notes(http, key_results, last)
        positions = all_positions(http, head)
        wait_for(lambda: follower.positions[-1:] == positions[-1:], 15, "SSE caught up")
        follower.stop()
        code, stop_took = served.terminate()

    print(f"\n503 {to_503:.2f} s after the stop; a read while down took {read_took:.3f} s, "
          f"readyz {ready_took:.3f} s; recovered {recovery:.2f} s after the start; "
          f"SIGTERM {stop_took:.2f} s; {len(load.acknowledged())} writes acknowledged, "
          f"{len(load.with_status(503))} refused with 503")
    assert_problem(read, 503)
    assert read.headers["Retry-After"] and read_took < 1.5
    assert ready.status_code == 503 and ready_took < 2.0
    assert ready.json()["checks"]["database"].startswith("unavailable")
    assert_problem(stream, 503)
    assert healthy == 200  # liveness: the process is fine, the database is not
    statuses = {o.status for o in load.outcomes}
    assert statuses <= {200, 503}, statuses  # never 500, never a hang (None)
    assert max(o.seconds for o in load.outcomes) < 3.0
    assert all(o.retry_after for o in load.with_status(503))
    acked = [o.note for o in load.acknowledged()]
    assert sorted(n for n in notes if n in set(acked)) == sorted(acked)  # all kept, once each
    assert follower.error is None
    assert follower.positions == positions  # the stream resumed: no gap, no repeat
    assert code == 0 and stop_took < 10


@pytest.mark.parametrize("state", ["stopped", "hanging"])
def test_sigterm_stops_okr_serve_within_10_s_whatever_the_database_state(
    pg_process: PostgresProcess, tmp_path: Path, state: str
) -> None:
    with okr_serve(database_url=pg_process.url, data_dir=str(tmp_path)) as served:
        load = WriteLoad(served.base, BOOTSTRAP, build(served)).start()
        wait_for(lambda: len(load.acknowledged()) >= 10, 30, "writes")
        if state == "stopped":
            pg_process.stop()
        else:  # the server and its sessions stop answering, connections stay open
            pg_process.pause()
        try:
            wait_for(lambda: status(f"{served.base}/readyz", 3) == 503, 10, "not ready")
            code, took = served.terminate(timeout=20)
        finally:
            if state == "hanging":
                pg_process.pause(resume=True)
            load.stop()
        print(f"\nSIGTERM with the database {state}: exit {code} after {took:.2f} s")
        assert took < 10, served.output()
        assert code == 0, served.output()

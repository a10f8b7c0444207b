"""Many SSE clients replaying the log from the start cost the server bounded work: other
requests keep being answered at once, and every client gets the whole log in order."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import httpx

from bench.harness import p
from bench.sse_replay import replay_stall
from okr.bootstrap import start_store
from okr.settings import Settings
from tests.support.http import BOOTSTRAP, bearer
from tests.support.okr_process import okr_serve

EVENTS = 4000
STALL_LIMIT_MS = 250  # the bench's goal is 100 ms (bench/sse_replay.py); the suite's
# machine is shared, so the test allows more while still failing on a stalled loop.


def record_events(database_url: str, count: int) -> int:
    """`count` events in one batch (one insert); the head position."""
    store = start_store(Settings(database_url=database_url))
    try:
        app = store.app
        app.run_batch([partial(app.create_team, name=f"Team {n}", parent_id=None,
                               actor="test") for n in range(count)])
        return store.feed().head()
    finally:
        store.close()


def replayed_positions(base: str, head: int) -> list[int]:
    positions = []
    with (httpx.Client(base_url=base, headers=bearer(BOOTSTRAP), timeout=60) as http,
          http.stream("GET", "/v1/events/stream", params={"after": 0}) as stream):
        for line in stream.iter_lines():
            if line.startswith("id: "):
                positions.append(int(line[4:]))
                if positions[-1] == head:
                    return positions
    return positions


def test_fifty_clients_replaying_the_log_do_not_stall_other_requests(
    database_url: str, tmp_path: Path
) -> None:
    head = record_events(database_url, EVENTS)
    with okr_serve(database_url=database_url, data_dir=str(tmp_path)) as served:
        replay = replay_stall(served.base, BOOTSTRAP, head)
        positions = replayed_positions(served.base, head)
    stall = p(replay.healthz_ms, 0.99)
    print(f"\n{replay.clients} clients replayed {head} events in {replay.seconds:.1f} s; "
          f"/healthz p99 {stall:.1f} ms, max {max(replay.healthz_ms):.0f} ms "
          f"({len(replay.healthz_ms)} samples)")
    assert stall <= STALL_LIMIT_MS
    assert positions == sorted(set(positions)) and positions[-1] == head

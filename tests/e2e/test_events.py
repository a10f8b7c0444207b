"""The event feed: pages, and Server-Sent Events against a real server (deliver, resume)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from typing import Any

import httpx
from fastapi import FastAPI

from api.sse import Broadcaster, framed, read_envelopes
from eventstore import Store
from tests.support.http import BOOTSTRAP, Api, Org, bearer

TIMEOUT = httpx.Timeout(10.0)


def test_event_pages_follow_the_log(api: Api, org: Org) -> None:
    page = api.get("/v1/events", params={"limit": 2}).json()
    assert [e["position"] for e in page["items"]] == [1, 2]
    assert page["next_after"] == 2
    first = page["items"][0]
    assert set(first) == {"id", "type", "source", "subject", "time", "position",
                          "aggregate_type", "aggregate_id", "aggregate_version", "actor", "data"}
    assert first["type"] == "okr.team.created.v1" and first["actor"] == "admin"
    rest = api.get("/v1/events", params={"after": 2, "limit": 1000}).json()
    assert rest["items"][0]["position"] == 3
    end = api.get("/v1/events", params={"after": rest["next_after"]}).json()
    assert end == {"items": [], "next_after": rest["next_after"]}


def read_events(lines: Iterator[str], count: int) -> list[dict[str, Any]]:
    """The next `count` SSE events (id, event, data), skipping comments."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines:
        if line.startswith(":") or line.startswith("retry:"):
            continue
        if not line:
            if current:
                events.append(current)
                current = {}
                if len(events) == count:
                    return events
            continue
        name, _, value = line.partition(": ")
        current[name] = json.loads(value) if name == "data" else value
    raise AssertionError("stream ended early")


def test_sse_delivers_past_and_live_events_and_resumes_with_last_event_id(
    server: str, live_api: Api
) -> None:
    api = live_api
    api.team("First")
    api.team("Second")
    head = api.get("/v1/events", params={"limit": 1000}).json()["next_after"]
    with httpx.Client(base_url=server, headers=bearer(BOOTSTRAP), timeout=TIMEOUT) as http:
        with http.stream("GET", "/v1/events/stream", params={"after": head - 2}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            past = read_events(lines, 2)
            assert [int(e["id"]) for e in past] == [head - 1, head]
            api.team("Live team")
            [live] = read_events(lines, 1)
        assert live["event"] == "okr.team.created.v1"
        assert live["data"]["position"] == int(live["id"]) == head + 1
        assert live["data"]["data"]["name"] == "Live team"
        api.team("While away")
        with http.stream("GET", "/v1/events/stream",
                         headers={"Last-Event-ID": live["id"]}) as stream:
            [missed] = read_events(stream.iter_lines(), 1)
        assert missed["data"]["data"]["name"] == "While away"


def test_sse_client_behind_the_window_catches_up_from_the_log(
    server: str, app: FastAPI, live_api: Api
) -> None:
    api = live_api
    app.state.broadcaster.window_size = 1
    for n in range(3):
        api.team(f"Team {n}")
    head = api.get("/v1/events", params={"limit": 1000}).json()["next_after"]
    with (httpx.Client(base_url=server, headers=bearer(BOOTSTRAP), timeout=TIMEOUT) as http,
          http.stream("GET", "/v1/events/stream", params={"after": 0}) as stream):
        events = read_events(stream.iter_lines(), head)
    assert [int(e["id"]) for e in events] == list(range(1, head + 1))


def test_many_sse_clients_share_one_broadcaster(
    server: str, app: FastAPI, live_api: Api
) -> None:
    api = live_api
    head = api.get("/v1/events").json()["next_after"]
    clients = [httpx.Client(base_url=server, headers=bearer(BOOTSTRAP), timeout=TIMEOUT)
               for _ in range(5)]
    try:
        streams = [c.stream("GET", "/v1/events/stream", params={"after": head})
                   for c in clients]
        opened = [s.__enter__() for s in streams]
        lines = [o.iter_lines() for o in opened]
        for iterator in lines:  # each has its `: connected` comment: subscribed
            assert next(iterator).startswith("retry:")
        threads_before = threading.active_count()
        api.team("Broadcast")
        for iterator in lines:
            [event] = read_events(iterator, 1)
            assert event["data"]["data"]["name"] == "Broadcast"
        assert threading.active_count() <= threads_before + 2
        assert len(app.state.broadcaster.subscriptions) == 5
        for stream in streams:
            stream.__exit__(None, None, None)
    finally:
        for client in clients:
            client.close()


def test_sse_sends_heartbeats_when_idle(server: str) -> None:
    with (httpx.Client(base_url=server, headers=bearer(BOOTSTRAP), timeout=TIMEOUT) as http,
          http.stream("GET", "/v1/events/stream") as stream):
        lines = stream.iter_lines()
        comments = [line for line, _ in zip(lines, range(6), strict=False)
                    if line.startswith(":")]
    assert ": heartbeat" in comments


def test_sse_needs_a_token_and_a_numeric_last_event_id(server: str) -> None:
    with httpx.Client(base_url=server, timeout=TIMEOUT) as http:
        assert http.get("/v1/events/stream").status_code == 401
        bad = http.get("/v1/events/stream", headers={**bearer(BOOTSTRAP),
                                                     "Last-Event-ID": "abc"})
        assert bad.status_code == 422


def test_slow_sse_client_whose_queue_overflows_catches_up_from_the_log(
    store: Store,
) -> None:
    for n in range(3):
        store.app.create_team(name=f"T{n}", parent_id=None, actor="test")
    envelopes = read_envelopes(store, 0, 10)

    async def scenario() -> list[int]:
        broadcaster = Broadcaster(store, window_size=1, queue_size=1)
        stream = broadcaster.stream(0, heartbeat=5.0)
        assert (await anext(stream)).startswith("retry:")
        waiting = asyncio.ensure_future(anext(stream))  # subscribed, waiting on its queue
        await asyncio.sleep(0)  # one loop turn: the stream subscribes before it first waits
        broadcaster._publish([framed(e) for e in envelopes])  # 3 events, queue of 1: overflow
        chunk = await waiting  # the catch-up from the log: one page, one chunk
        await stream.aclose()
        return [int(line.removeprefix("id: ")) for line in chunk.split("\n")
                if line.startswith("id: ")]

    assert asyncio.run(scenario()) == [1, 2, 3]


def test_event_times_rise_with_positions_in_pages_and_on_the_stream(
    server: str, live_api: Api
) -> None:
    api = live_api
    api.cycle()
    objective = api.objective(api.team("Busy"))
    krs = [api.key_result(objective["id"], title=f"KR {n}")["id"] for n in range(4)]

    def check_ins(kr: str) -> None:
        with httpx.Client(base_url=server, headers=bearer(BOOTSTRAP), timeout=TIMEOUT) as http:
            for value in range(10):  # concurrent: the writer records them in batches
                assert http.post(f"/v1/key-results/{kr}/check-ins",
                                 json={"value": value}).status_code == 200

    threads = [threading.Thread(target=check_ins, args=(kr,)) for kr in krs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    page = api.get("/v1/events", params={"limit": 1000}).json()["items"]
    with httpx.Client(base_url=server, headers=bearer(BOOTSTRAP), timeout=TIMEOUT) as http, \
            http.stream("GET", "/v1/events/stream") as stream:
        streamed = [e["data"] for e in read_events(stream.iter_lines(), len(page))]
    assert len(page) > 40
    for events in (page, streamed):
        stamps = [(e["position"], datetime.fromisoformat(e["time"])) for e in events]
        assert all(a < b for a, b in pairwise(stamps))  # positions and times rise together
        assert all(a[1] < b[1] for a, b in pairwise(stamps))
    assert [e["time"][:26] for e in streamed] == [e["time"][:26] for e in page]

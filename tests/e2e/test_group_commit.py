"""Commands sent together through the API are recorded together (group commit), and each
caller still gets its own answer: its version, its position, or its own error."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from eventstore import Store
from tests.support.http import BOOTSTRAP, Api, bearer


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        pause.wait(0.01)
    raise AssertionError("condition not met in time")


@pytest.fixture
def krs(live_api: Api) -> list[str]:
    team = live_api.team()
    live_api.cycle()
    objective = live_api.objective(team)["id"]
    return [live_api.key_result(objective, title=f"KR {n}")["id"] for n in range(2)]


def test_commands_waiting_together_share_one_batch_and_get_their_own_answers(
    app: FastAPI, store: Store, server: str, krs: list[str], live_api: Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first KR moves past version 1 now, so that If-Match "1" below is stale whatever
    # order the concurrent requests reach the writer in.
    live_api.ok("POST", f"/v1/key-results/{krs[0]}/check-ins", {"value": 0})
    writer = app.state.commands.writer
    held, release, sizes = threading.Event(), threading.Event(), []
    run_batch = store.app.run_batch

    def counted(calls: list[Any]) -> list[Any]:
        sizes.append(len(calls))
        return run_batch(calls)

    def hold() -> None:
        held.set()
        release.wait(10)

    monkeypatch.setattr(store.app, "run_batch", counted)
    # 20 check-ins, and one whose If-Match is stale: refused inside the batch.
    sends = [(krs[n % 2], {}) for n in range(20)] + [(krs[0], {"If-Match": '"1"'})]

    async def send_all() -> list[httpx.Response]:
        holding = asyncio.create_task(writer.submit(hold))  # keeps the writer busy
        await asyncio.to_thread(held.wait, 10)
        async with httpx.AsyncClient(base_url=server, headers=bearer(BOOTSTRAP),
                                     timeout=30) as http:
            posts = [asyncio.create_task(http.post(
                f"/v1/key-results/{kr}/check-ins", json={"value": n}, headers=headers))
                for n, (kr, headers) in enumerate(sends)]
            await asyncio.to_thread(wait_for, lambda: writer.waiting() == len(sends))
            release.set()
            await holding
            return await asyncio.gather(*posts)

    answers = asyncio.run(send_all())
    assert sizes == [1, len(sends)]
    assert [a.status_code for a in answers[:-1]] == [200] * 20
    assert answers[-1].status_code == 412
    for kr in krs:
        versions = sorted(a.json()["version"] for n, a in enumerate(answers[:-1])
                          if n % 2 == krs.index(kr))
        assert versions == list(range(versions[0], versions[0] + 10))
    positions = [a.json()["position"] for a in answers[:-1]]
    assert len(set(positions)) == 20
    last = max(positions)
    with httpx.Client(base_url=server, headers=bearer(BOOTSTRAP)) as http:
        for n, kr in enumerate(krs):
            detail = http.get(f"/v1/key-results/{kr}", params={"after_position": last}).json()
            assert detail["version"] == max(a.json()["version"] for a in answers[n:-1:2])
        metrics = http.get("/metrics").text
    assert "okr_command_batch_size_count" in metrics


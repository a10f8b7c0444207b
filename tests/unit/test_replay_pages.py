"""Catch-up pages (api/replay.py): every event after the client's position once, in order,
from any position; a complete page read once however many clients want it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from api.replay import ReplayPages


class Log:
    """A log with gaps in its positions; counts the reads."""

    def __init__(self, positions: list[int]) -> None:
        self.positions = positions
        self.reads: list[tuple[int, int]] = []

    def read(self, start: int, end: int) -> Sequence[tuple[int, str]]:
        self.reads.append((start, end))
        return [(p, f"{p};") for p in self.positions if start < p <= end]


async def replay(pages: ReplayPages, last: int, settled: int) -> list[int]:
    text = ""
    while True:
        chunk, after = await pages.next(last, settled)
        if after == last:
            return [int(p) for p in text.split(";") if p]
        text, last = text + chunk, after


@settings(deadline=None, max_examples=60)  # each page is a hop to a worker thread
@given(st.lists(st.integers(1, 600), unique=True).map(sorted), st.integers(0, 600),
       st.sampled_from([1, 7, 250]))
def test_a_replay_from_any_position_sends_every_later_event_once_in_order(
    positions: list[int], last: int, size: int
) -> None:
    log = Log(positions)
    pages = ReplayPages(log.read, size=size, cached=3)
    settled = positions[-1] if positions else 0
    assert asyncio.run(replay(pages, last, settled)) == [p for p in positions if p > last]


def test_a_complete_page_is_read_once_for_all_the_clients_that_want_it() -> None:
    log = Log(list(range(1, 1001)))
    pages = ReplayPages(log.read, size=250)

    async def fifty_clients() -> list[list[int]]:
        return await asyncio.gather(*(replay(pages, 0, 1000) for _ in range(50)))

    assert all(got == list(range(1, 1001)) for got in asyncio.run(fifty_clients()))
    complete = sorted(read for read in log.reads if read[1] <= 1000)
    assert complete == [(0, 250), (250, 500), (500, 750), (750, 1000)]  # once each


def test_the_page_at_the_head_is_read_again_and_shows_later_events() -> None:
    log = Log([1, 2, 3])
    pages = ReplayPages(log.read, size=250)
    assert asyncio.run(replay(pages, 0, settled=3)) == [1, 2, 3]
    log.positions += [4, 5]
    assert asyncio.run(replay(pages, 3, settled=5)) == [4, 5]

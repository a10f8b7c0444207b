"""Catch-up pages for event streams: the log read and rendered a page at a time on a few
shared worker threads, and complete pages kept for the clients that ask next.

Pages are aligned on positions (page `k` holds the events in `(k·size, (k+1)·size]`), so
clients replaying the same stretch of the log ask for the same pages wherever they started.
A page up to a position already read is complete for ever (positions become visible in commit
order: docs/architecture.md), so it is rendered once, by one thread even when many clients
want it at the same moment, and then served from memory, `cached` pages at most.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio

# Reads the events in (start, end] as (position, SSE frame) pairs; runs on a worker thread.
ReadFrames = Callable[[int, int], Sequence[tuple[int, str]]]


@dataclass(frozen=True)
class Page:
    """Rendered frames, one string, and where each event's frame starts in it."""

    positions: tuple[int, ...]
    offsets: tuple[int, ...]
    text: str

    @classmethod
    def of(cls, frames: Sequence[tuple[int, str]]) -> Page:
        offsets, at = [], 0
        for _, text in frames:
            offsets.append(at)
            at += len(text)
        return cls(tuple(p for p, _ in frames), tuple(offsets), "".join(t for _, t in frames))

    def after(self, last: int) -> str:
        """The frames of the events after position `last`, as one chunk."""
        first = bisect_right(self.positions, last)
        return self.text[self.offsets[first]:] if first < len(self.positions) else ""


class ReplayPages:
    """The pages of the log for catching-up clients: `threads` render them, shared by all."""

    def __init__(self, read: ReadFrames, *, size: int = 250, threads: int = 2,
                 cached: int = 64) -> None:
        self.read = read
        self.size = size
        self.threads = threads
        self.cached = cached
        self._pages: OrderedDict[int, Page] = OrderedDict()
        self._loading: dict[int, asyncio.Task[Page]] = {}
        self._limiter: anyio.CapacityLimiter | None = None

    async def next(self, last: int, settled: int) -> tuple[str, int]:
        """The frames after `last` to the end of its page, and the position to go on from
        (`last` itself at the head of the log). Events up to `settled` are all visible."""
        start = last - last % self.size
        end = start + self.size
        page = self._pages.get(start)
        if page is None:
            page = await asyncio.shield(self._load(start, end, complete=end <= settled))
        else:
            self._pages.move_to_end(start)
        if end <= settled:  # complete: nothing more will ever appear up to `end`
            return page.after(last), end
        return page.after(last), max(last, page.positions[-1] if page.positions else last)

    def _load(self, start: int, end: int, *, complete: bool) -> asyncio.Task[Page]:
        loading = self._loading.get(start) if complete else None
        if loading is None:
            loading = asyncio.ensure_future(self._render(start, end, complete=complete))
            if complete:  # others asking for it now wait for this one rendering
                self._loading[start] = loading
        return loading

    async def _render(self, start: int, end: int, *, complete: bool) -> Page:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        try:
            frames = await anyio.to_thread.run_sync(
                self.read, start, end, limiter=self._limiter, abandon_on_cancel=True)
        finally:
            if complete:
                self._loading.pop(start, None)
        page = Page.of(frames)
        if complete:
            self._pages[start] = page
            while len(self._pages) > self.cached:
                self._pages.popitem(last=False)
        return page

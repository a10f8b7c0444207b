"""Server-Sent Events: one broadcaster follows the log and fans out to client queues.

The broadcaster is a single asyncio task: it reads new events from the global log (waking on
PostgreSQL NOTIFY, polling as a fallback) and puts their envelopes into every client's
bounded queue, keeping a window of recent envelopes. A client that starts or resumes behind
that window, or whose queue overflowed, first catches up from the log, then follows its
queue; positions are deduplicated, so nothing is skipped or sent twice.

With no client connected the broadcaster neither listens nor reads events: it only moves its
position (and an empty window) to the head of the log every poll interval, and wakes up as
soon as a client subscribes. A client resuming from before that position catches up from the
log, as it would behind the window.

What one client costs is bounded, so that many clients replaying the log from the start
cannot stall the server: the event loop only hands text to sockets. Events are read and
rendered as frames on worker threads (the live ones once for every client); a catch-up is
read a page at a time, each page rendered into one chunk on one of `replay_threads` threads
shared by all replaying clients (so replays queue for them, and other requests keep the
CPU); complete pages are rendered once for all clients (api/replay.py); and a client holds
at most one page and its bounded queue. A slow reader slows only
itself: its socket's flow control pauses its own stream, and its queue, when full, is
dropped for a later catch-up from the log. While the database is away, streams stay open
(with heartbeats) and resume from their position when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import anyio
import orjson

from api.replay import ReplayPages
from eventstore import Store
from eventstore.envelope import envelope_of
from eventstore.feed import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)
EnvelopeDict = dict[str, Any]
OVERFLOW, CLOSED = "overflow", "closed"  # control messages in a client queue
T = TypeVar("T")


class Framed(NamedTuple):
    """An event as the stream sends it: its position and its SSE frame, rendered once
    for every client."""

    position: int
    text: str


def framed(envelope: EnvelopeDict) -> Framed:
    return Framed(envelope["position"], frame(envelope))


@dataclass(eq=False)
class Subscription:
    queue: asyncio.Queue[Framed | str]

    def control(self, message: str) -> None:
        """Replace whatever is queued by a control message."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(message)


def read_envelopes(
    store: Store, after: int, limit: int, stop: int | None = None
) -> list[EnvelopeDict]:
    return [envelope_of(r.event, r.position).as_dict()
            for r in store.feed().read(after, limit, stop)]


def read_frames(store: Store, after: int, limit: int, stop: int | None = None) -> list[Framed]:
    """The next events rendered as frames (on a worker thread: decoding and rendering
    are the CPU-heavy part)."""
    return [framed(envelope) for envelope in read_envelopes(store, after, limit, stop)]


async def in_thread(call: Callable[..., T], *args: Any) -> T:
    """`call(*args)` on a worker thread, abandoned if cancelled (at shutdown, a read stuck
    on a database that hangs must not hold the event loop's closing)."""
    return await anyio.to_thread.run_sync(call, *args, abandon_on_cancel=True)


def frame(envelope: EnvelopeDict) -> str:
    data = orjson.dumps(envelope).decode()
    return f"id: {envelope['position']}\nevent: {envelope['type']}\ndata: {data}\n\n"


@dataclass(eq=False)
class Broadcaster:
    store: Store
    window_size: int = 1000
    queue_size: int = 5000
    batch_size: int = 500
    poll_interval: float = 0.5
    replay_page: int = 250
    replay_threads: int = 2
    replay_cached: int = 64  # pages kept in memory: 64 x 250 events, some 10 MB
    position: int = 0
    window: deque[Framed] = field(default_factory=deque)
    window_start: int = 0  # the window holds every event after this position
    subscriptions: set[Subscription] = field(default_factory=set)
    _stopping: bool = False
    _subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    loop: asyncio.AbstractEventLoop | None = None
    _task: asyncio.Task[None] | None = None
    pages: ReplayPages | None = None

    def __post_init__(self) -> None:
        self.pages = ReplayPages(
            lambda start, end: read_frames(self.store, start, end - start, stop=end),
            size=self.replay_page, threads=self.replay_threads, cached=self.replay_cached)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.position = self.window_start = await in_thread(self.store.feed().head)
        self._task = asyncio.create_task(self._follow(), name="sse-broadcaster")

    async def stop(self) -> None:
        self._stopping = True
        self._subscribed.set()  # ends an idle wait
        self.close_clients()
        if self._task is not None:
            await self._task

    def close_clients(self) -> None:
        for subscription in list(self.subscriptions):
            subscription.control(CLOSED)
        self.subscriptions.clear()

    async def _follow(self) -> None:
        signal = self.store.new_event_signal(self.poll_interval)
        try:
            while not self._stopping:
                if not self.subscriptions:
                    await in_thread(signal.close)  # no LISTEN backlog while idle
                    await self._idle()
                    continue
                try:
                    batch = await in_thread(
                        read_frames, self.store, self.position, self.batch_size
                    )
                except DATABASE_UNAVAILABLE as error:  # clients keep waiting for its return
                    log.debug("SSE broadcaster cannot read the log: %r", error)
                    batch = []
                if batch:
                    self._publish(batch)
                else:
                    await in_thread(signal.wait, self.poll_interval)
        finally:
            await in_thread(signal.close)

    async def _idle(self) -> None:
        """No client: follow only the head of the log, until a client subscribes."""
        try:
            head = await in_thread(self.store.feed().head)
        except DATABASE_UNAVAILABLE as error:  # the database may come back
            log.debug("SSE broadcaster cannot read the head of the log: %r", error)
            head = self.position
        # Only while still without clients: one that subscribed during the read must get
        # every event after the window it was given.
        if not self.subscriptions and head > self.position:
            self.window.clear()
            self.position = self.window_start = head
        self._subscribed.clear()
        if not self.subscriptions and not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), self.poll_interval)

    def _publish(self, frames: list[Framed]) -> None:
        self.window.extend(frames)
        self.position = frames[-1].position
        while len(self.window) > self.window_size:
            self.window_start = self.window.popleft().position
        for subscription in list(self.subscriptions):
            for item in frames:
                try:
                    subscription.queue.put_nowait(item)
                except asyncio.QueueFull:
                    self.subscriptions.discard(subscription)
                    subscription.control(OVERFLOW)
                    break

    def subscribe(self, after: int) -> tuple[Subscription, list[Framed] | None]:
        """A new queue, and the window's events after `after` (None: not covered)."""
        subscription = Subscription(asyncio.Queue(self.queue_size))
        self.subscriptions.add(subscription)
        self._subscribed.set()
        if after < self.window_start:
            return subscription, None
        return subscription, [e for e in self.window if e.position > after]

    async def stream(self, after: int, heartbeat: float) -> AsyncIterator[str]:
        """SSE frames of every event after `after`, then live ones, with heartbeats."""
        last = after
        yield "retry: 2000\n: connected\n\n"
        while not self._stopping:
            subscription, backlog = self.subscribe(last)
            try:
                if backlog is None:  # behind the window: catch up from the log first
                    async for chunk, position in self._catch_up(last, heartbeat):
                        yield chunk
                        last = position
                    backlog = []
                for held in backlog:
                    if held.position > last:
                        yield held.text
                        last = held.position
                while True:
                    try:
                        async with asyncio.timeout(heartbeat):
                            message = await subscription.queue.get()
                    except TimeoutError:
                        yield ": heartbeat\n\n"
                        continue
                    if message == CLOSED:
                        return
                    if message == OVERFLOW:
                        break  # catch up from the log, then follow again
                    assert isinstance(message, Framed)
                    if message.position > last:
                        yield message.text
                        last = message.position
            finally:
                self.subscriptions.discard(subscription)

    async def _catch_up(self, last: int, heartbeat: float) -> AsyncIterator[tuple[str, int]]:
        """The log after `last`, a page (one chunk) at a time, to its head; (chunk, last)."""
        assert self.pages is not None
        while not self._stopping:
            try:
                chunk, after = await self.pages.next(last, settled=self.position)
            except DATABASE_UNAVAILABLE:  # stay connected; resume from `last` when it is back
                yield ": waiting for the database\n\n", last
                await asyncio.sleep(min(heartbeat, self.poll_interval * 2))
                continue
            if after == last:
                return
            last = after
            if chunk:
                yield chunk, last

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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from eventstore import Store
from eventstore.envelope import envelope_of

log = logging.getLogger(__name__)
EnvelopeDict = dict[str, Any]
OVERFLOW, CLOSED = "overflow", "closed"  # control messages in a client queue


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


def read_envelopes(store: Store, after: int, limit: int) -> list[EnvelopeDict]:
    return [envelope_of(r.event, r.position).as_dict() for r in store.feed().read(after, limit)]


def frame(envelope: EnvelopeDict) -> str:
    data = json.dumps(envelope, separators=(",", ":"))
    return f"id: {envelope['position']}\nevent: {envelope['type']}\ndata: {data}\n\n"


@dataclass(eq=False)
class Broadcaster:
    store: Store
    window_size: int = 1000
    queue_size: int = 5000
    batch_size: int = 500
    poll_interval: float = 0.5
    position: int = 0
    window: deque[Framed] = field(default_factory=deque)
    window_start: int = 0  # the window holds every event after this position
    subscriptions: set[Subscription] = field(default_factory=set)
    _stopping: bool = False
    _subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    loop: asyncio.AbstractEventLoop | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.position = self.window_start = await asyncio.to_thread(self.store.feed().head)
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
                    await asyncio.to_thread(signal.close)  # no LISTEN backlog while idle
                    await self._idle()
                    continue
                try:
                    batch = await asyncio.to_thread(
                        read_envelopes, self.store, self.position, self.batch_size
                    )
                except Exception:  # the database may come back; clients keep waiting
                    log.exception("SSE broadcaster cannot read the log; retrying")
                    batch = []
                if batch:
                    self._publish(batch)
                else:
                    await asyncio.to_thread(signal.wait, self.poll_interval)
        finally:
            await asyncio.to_thread(signal.close)

    async def _idle(self) -> None:
        """No client: follow only the head of the log, until a client subscribes."""
        try:
            head = await asyncio.to_thread(self.store.feed().head)
        except Exception:  # the database may come back
            log.exception("SSE broadcaster cannot read the head of the log; retrying")
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

    def _publish(self, batch: list[EnvelopeDict]) -> None:
        frames = [framed(envelope) for envelope in batch]
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
                    while batch := await asyncio.to_thread(
                        read_envelopes, self.store, last, self.batch_size
                    ):
                        for envelope in batch:
                            yield frame(envelope)
                            last = envelope["position"]
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

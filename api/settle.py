"""Answering at an instant only once it is settled (contract section 2, docs/projections.md).

T is settled when no event can be recorded at or before it any more (the store's horizon
has passed it) and every projection has processed the last position recorded by then. A
read `as_of=T` waits for that on the event loop (each database probe a short thread hop),
so waiting readers hold neither the loop nor the threads that commands need.

The horizon is refreshed once for many readers: a reader whose instant is past the last
known horizon joins the refresh in flight, or starts one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
from psycopg_pool import ConnectionPool

from api.errors import NotCaughtUp
from domain.errors import InvalidInput
from eventstore.horizon import Horizon, TransactionClock
from eventstore.txtime import StoreLoading

T = TypeVar("T")
Followers = tuple[str, ...]  # tracking names of read models (`projection:alignment`)
AHEAD_LIMIT = timedelta(seconds=5)


@dataclass(frozen=True)
class Settled:
    position: int  # the last position recorded at or before the instant
    waited: float  # seconds spent waiting for it to settle
    horizon: float  # of which until no event could be recorded by then any more


class Settler:
    """Waits for instants to settle, for one process's readers."""

    def __init__(self, pool: ConnectionPool[Any], clock: TransactionClock,
                 followers: Followers, *, poll: float = 0.005) -> None:
        self.pool, self.clock, self.poll = pool, clock, poll
        self.followers = followers  # all the read models: what a current read waits for
        self.horizon: datetime | None = None  # every instant up to it is settled (store side)
        self.offset = timedelta(0)  # the database clock minus ours
        # Once the store holds events and no loading session, none can start any more.
        self.store_settled = False
        self._refresh: asyncio.Future[Horizon] | None = None
        self._polling: dict[Followers, asyncio.Future[int]] = {}

    async def gate(self) -> None:
        """Refuse reads while a loading session writes past times (`StoreLoading`)."""
        if self.store_settled:
            return
        loading, has_events = await self._run(self.clock.loading_state)
        if loading:
            raise StoreLoading("the store is loading (okr demo or import); retry later")
        self.store_settled = has_events

    async def settle(self, instant: datetime, name: str, timeout: float,
                     followers: Followers) -> Settled:
        """Wait (up to `timeout` once it has passed) until `instant` is settled for the read
        models `followers`; its position. 422 if it is more than 5 s ahead."""
        started = anyio.current_time()
        await self.gate()
        if self.horizon is None:
            await self._advance()
        ahead = instant - self.database_now()
        if ahead > AHEAD_LIMIT:
            raise InvalidInput(f"{name} is more than {AHEAD_LIMIT.seconds} s ahead of the "
                               "server's clock: that instant is not settled", field=name)
        deadline = started + timeout + max(0.0, ahead.total_seconds())
        while True:
            # A horizon known before the probe makes its position final; so does a probe
            # whose own snapshot has an event recorded at or after the instant.
            known = self.horizon is not None and self.horizon >= instant
            probe = await self._run(self.clock.probe, instant, list(followers))
            if known or probe.passed(instant):
                break
            wait = (instant - self.database_now()).total_seconds()
            if wait > 0:  # a future instant: it cannot settle before it has passed
                await anyio.sleep(wait)
            await self._advance()
            _check(deadline, f"{name} is not settled yet")
        horizon = anyio.current_time() - started
        await self._processed(probe.position, probe.processed, deadline, followers)
        return Settled(probe.position, anyio.current_time() - started, horizon)

    async def current(self, after_position: int | None, timeout: float) -> int:
        """The projections' position for a current read, once at least `after_position`
        (waiting up to `timeout`)."""
        started = anyio.current_time()
        await self.gate()
        processed = await self._shared_processed(self.followers)
        return await self._processed(after_position or 0, processed, started + timeout,
                                     self.followers)

    async def _processed(self, position: int, processed: int, deadline: float,
                         followers: Followers) -> int:
        while processed < position:
            _check(deadline, f"the read models have not reached position {position} yet")
            await anyio.sleep(self.poll)
            processed = await self._shared_processed(followers)
        return processed

    async def _shared_processed(self, followers: Followers) -> int:
        """The least position of `followers`; one query for the readers asking meanwhile
        (a finished poll is from before they asked: start another)."""
        polling = self._polling.get(followers)
        if polling is None or polling.done():
            polling = self._polling[followers] = asyncio.ensure_future(
                self._run(self.clock.processed, list(followers)))
        return await asyncio.shield(polling)

    def database_now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    async def _advance(self) -> Horizon:
        """The horizon moved to the database clock, by a refresh shared with other readers."""
        # A finished refresh is one from before this reader asked: start another (and
        # awaiting a finished future would not even yield to the event loop).
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(anyio.to_thread.run_sync(self._advance_now))
        horizon = await asyncio.shield(self._refresh)
        if horizon.loading:
            raise StoreLoading("the store is loading (okr demo or import); retry later")
        return horizon

    def _advance_now(self) -> Horizon:
        with self.pool.connection() as conn:
            before = datetime.now(UTC)
            horizon = self.clock.advance(conn)
        if not horizon.loading:
            self.offset = horizon.settled_until - before
            self.horizon = max(self.horizon or horizon.settled_until, horizon.settled_until)
        return horizon

    async def _run(self, probe: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            with self.pool.connection() as conn:
                return probe(conn, *args)
        return await anyio.to_thread.run_sync(call)


def _check(deadline: float, detail: str) -> None:
    if anyio.current_time() >= deadline:
        raise NotCaughtUp(f"{detail}; retry", headers={"Retry-After": "1"})


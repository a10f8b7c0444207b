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
AHEAD_LIMIT = timedelta(seconds=5)


@dataclass(frozen=True)
class Settled:
    position: int  # the last position recorded at or before the instant
    waited: float  # seconds spent waiting for it to settle


class Settler:
    """Waits for instants to settle, for one process's readers."""

    def __init__(self, pool: ConnectionPool[Any], clock: TransactionClock, *,
                 poll: float = 0.005) -> None:
        self.pool, self.clock, self.poll = pool, clock, poll
        self.horizon: datetime | None = None  # every instant up to it is settled (store side)
        self.offset = timedelta(0)  # the database clock minus ours
        # Once the store holds events and no loading session, none can start any more.
        self.store_settled = False
        self._refresh: asyncio.Future[Horizon] | None = None
        self._polling: asyncio.Future[int] | None = None

    async def gate(self) -> None:
        """Refuse reads while a loading session writes past times (`StoreLoading`)."""
        if self.store_settled:
            return
        loading, has_events = await self._run(self.clock.loading_state)
        if loading:
            raise StoreLoading("the store is loading (okr demo or import); retry later")
        self.store_settled = has_events

    async def settle(self, instant: datetime, name: str, timeout: float) -> Settled:
        """Wait (up to `timeout` once it has passed) until `instant` is settled; its
        position. 422 if it is more than 5 s ahead."""
        started = anyio.current_time()
        await self.gate()
        if self.horizon is None:
            await self._advance()
        ahead = instant - self.database_now()
        if ahead > AHEAD_LIMIT:
            raise InvalidInput(f"{name} is more than {AHEAD_LIMIT.seconds} s ahead of the "
                               "server's clock: that instant is not settled", field=name)
        deadline = started + timeout + max(0.0, ahead.total_seconds())
        while self.horizon is None or self.horizon < instant:
            wait = (instant - self.database_now()).total_seconds()
            if wait > 0:  # a future instant: it cannot settle before it has passed
                await anyio.sleep(wait)
            await self._advance()
            _check(deadline, f"{name} is not settled yet")
        position, processed = await self._run(self.clock.probe, instant)
        await self._processed(position, processed, deadline)
        return Settled(position, anyio.current_time() - started)

    async def current(self, after_position: int | None, timeout: float) -> int:
        """The projections' position for a current read, once at least `after_position`
        (waiting up to `timeout`)."""
        started = anyio.current_time()
        await self.gate()
        processed = await self._shared_processed()
        return await self._processed(after_position or 0, processed, started + timeout)

    async def _processed(self, position: int, processed: int, deadline: float) -> int:
        while processed < position:
            _check(deadline, f"the read models have not reached position {position} yet")
            await anyio.sleep(self.poll)
            processed = await self._shared_processed()
        return processed

    async def _shared_processed(self) -> int:
        """The projections' least position; one query for the readers asking meanwhile."""
        if self._polling is None:
            poll = asyncio.ensure_future(self._run(self.clock.processed))
            poll.add_done_callback(self._polled)
            self._polling = poll
        return await asyncio.shield(self._polling)

    def _polled(self, _: asyncio.Future[int]) -> None:
        self._polling = None

    def database_now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    async def _advance(self) -> Horizon:
        """The horizon moved to the database clock, by a refresh shared with other readers."""
        if self._refresh is None:
            refresh = asyncio.ensure_future(anyio.to_thread.run_sync(self._advance_now))
            refresh.add_done_callback(self._refreshed)
            self._refresh = refresh
        horizon = await asyncio.shield(self._refresh)
        if horizon.loading:
            raise StoreLoading("the store is loading (okr demo or import); retry later")
        return horizon

    def _refreshed(self, _: asyncio.Future[Horizon]) -> None:
        self._refresh = None

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


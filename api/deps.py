"""Dependencies of the routes, as `Annotated` aliases.

Dependencies that never block are `async def`: FastAPI runs every plain `def` dependency on
a worker thread, and a hop to a thread and back per dependency costs more than the
dependency itself. Those that may wait on the database still do so on a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import anyio
import psycopg
from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from api.errors import NotCaughtUp
from api.writer import Commands
from domain.errors import InvalidInput
from eventstore import Store
from projections.runner import slowest_position


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_commands(request: Request) -> Commands:
    commands: Commands = request.app.state.commands
    return commands


async def if_match(
    value: Annotated[
        str | None,
        Header(alias="If-Match", description='Expected current version: `3` or `"3"`'),
    ] = None,
) -> int | None:
    """The version named by `If-Match` (quoted or not); `*` or absent: any version."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InvalidInput("If-Match must name a version, like \"3\"", field="If-Match")
    return int(text)


async def consistent(
    request: Request,
    after_position: Annotated[int | None, Query(
        ge=0, le=2**62, description="Wait (up to 5 s) until the read models have processed "
        "this position of the global log (read your writes); 503 otherwise",
    )] = None,
) -> None:
    if not after_position:
        return
    timeout: float = request.app.state.read_wait_timeout
    store: Store = request.app.state.store
    # Poll on the event loop (each probe a short thread hop), so waiting readers never
    # occupy the worker threads that commands need.
    deadline = anyio.current_time() + timeout
    while await run_in_threadpool(slowest_position, store.pool) < after_position:
        if anyio.current_time() >= deadline:
            raise NotCaughtUp(
                f"the read models have not reached position {after_position} yet; retry",
                headers={"Retry-After": "1"},
            )
        await anyio.sleep(0.02)


def read_connection(
    store: Annotated[Store, Depends(get_store)], _: Annotated[None, Depends(consistent)]
) -> Iterator[psycopg.Connection[Any]]:
    """A read-model connection, once the read models are at `after_position`."""
    with store.pool.connection() as conn:
        yield conn


StoreDep = Annotated[Store, Depends(get_store)]
CommandsDep = Annotated[Commands, Depends(get_commands)]
IfMatch = Annotated[int | None, Depends(if_match)]
Consistent = Annotated[None, Depends(consistent)]
ReadConn = Annotated[psycopg.Connection[Any], Depends(read_connection)]

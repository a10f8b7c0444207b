"""Dependencies of the routes, as `Annotated` aliases.

Dependencies that never block are `async def`: FastAPI runs every plain `def` dependency on
a worker thread, and a hop to a thread and back per dependency costs more than the
dependency itself. Those that may wait on the database still do so on a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Header, Request

from api.settle import Settler
from api.writer import Commands
from domain.errors import InvalidInput
from eventstore import Store
from eventstore.txtime import StoreLoading


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


def read_connection(
    request: Request, store: Annotated[Store, Depends(get_store)],
) -> Iterator[psycopg.Connection[Any]]:
    """A read-model connection. Until the store is known to be past any loading session
    (it holds events and none loads), the read also keeps one from starting meanwhile."""
    settler: Settler = request.app.state.settler
    with store.pool.connection() as conn:
        if settler.store_settled:
            yield conn
            return
        if not settler.clock.hold_off_loading(conn):
            raise StoreLoading("the store is loading (okr demo or import); retry later")
        try:
            yield conn
        finally:
            settler.clock.release(conn)


StoreDep = Annotated[Store, Depends(get_store)]
CommandsDep = Annotated[Commands, Depends(get_commands)]
IfMatch = Annotated[int | None, Depends(if_match)]
ReadConn = Annotated[psycopg.Connection[Any], Depends(read_connection)]

"""The integrity chain: the last seal, and the seal of any sealed position."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api import schemas as s
from api.auth import AuthFirst, Viewer
from api.deps import StoreDep
from api.errors import error_responses
from domain.errors import NotFound
from eventstore import Store
from eventstore.seals import head_seal, seal_at

router = APIRouter(prefix="/v1/integrity", tags=["integrity"], route_class=AuthFirst)


def _head(store: Store) -> dict[str, Any]:
    with store.pool.connection() as conn:
        seal = head_seal(conn)
    log_head = store.feed().head()  # after the seal: never below its position
    return {**seal.as_dict(), "log_head": log_head}


def _seal(store: Store, position: int) -> dict[str, Any]:
    with store.pool.connection() as conn:
        seal = seal_at(conn, position) if position > 0 else None
    if seal is None:
        raise NotFound(f"no sealed event at position {position}")
    return seal.as_dict()


@router.get("", response_model=s.ChainHead, responses=error_responses(401))
async def integrity_head(store: StoreDep, _: Viewer) -> dict[str, Any]:
    """The last sealed position and its chain hash, and the last stored position."""
    return await run_in_threadpool(_head, store)


@router.get("/{position}", response_model=s.ChainSeal, responses=error_responses(401, 404, 422))
async def integrity_seal(
    store: StoreDep, _: Viewer,
    position: Annotated[int, Path(ge=0, le=2**62, description="A position of the log")],
) -> dict[str, Any]:
    """The chain hash of the event at `position` (404: no such event, or not sealed yet)."""
    return await run_in_threadpool(_seal, store, position)

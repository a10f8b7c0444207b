"""Planning cycles."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import schemas as s
from api.auth import Admin, AuthFirst, Viewer
from api.deps import CommandsDep, IfMatch, ReadConn
from api.errors import error_responses
from api.reading import Current
from projections import queries

router = APIRouter(prefix="/v1/cycles", tags=["cycles"], route_class=AuthFirst)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.CommandAnswer,
             responses=error_responses(401, 403, 409, 413, 422))
async def create_cycle(body: s.CycleCreate, commands: CommandsDep, who: Admin) -> dict[str, object]:
    """Open a planning cycle, like 2026-Q4."""
    return await commands.answer(
        commands.app.create_cycle,
        key=body.key, starts_on=body.starts_on, ends_on=body.ends_on, actor=who.actor
    )


@router.get("", response_model=s.CycleList, responses=error_responses(401, 422, 503))
def list_cycles(_: Viewer, __: Current, conn: ReadConn) -> dict[str, object]:
    """List the cycles ordered by start date."""
    return {"items": queries.cycles(conn)}


@router.post("/{key}/close", response_model=s.CycleClosedAnswer,
             responses=error_responses(401, 403, 404, 409, 412, 413, 422))
async def close_cycle(
    key: s.CycleKey, commands: CommandsDep, who: Admin, version: IfMatch,
    body: s.CycleClose | None = None,
) -> dict[str, object]:
    """Close a cycle and grade every key result that was not graded by hand."""
    del body  # takes no fields; accepted so that `{}` is a valid body
    return await commands.answer(commands.app.close_cycle, key, actor=who.actor, if_match=version)

"""Objectives: create, read (with time travel), edit, realign, reassign, carry over, archive."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response, status

from api import schemas as s
from api.auth import AuthFirst, Member, Viewer
from api.deps import CommandsDep, IfMatch, ReadConn
from api.errors import error_responses
from api.reading import EntityAsOf, entity_etag
from api.timeparams import ValidAt
from domain.errors import NotFound
from projections import queries

router = APIRouter(prefix="/v1/objectives", tags=["objectives"], route_class=AuthFirst)
CHANGE = error_responses(401, 403, 404, 409, 412, 413, 422)
ObjectiveId = Annotated[UUID, Path(description="The objective's id")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.CommandAnswer,
             responses=error_responses(401, 403, 409, 413, 422))
async def create_objective(
    body: s.ObjectiveCreate, commands: CommandsDep, who: Member
) -> dict[str, object]:
    """Create an objective in a cycle, optionally aligned under a parent objective."""
    return await commands.answer(
        commands.app.create_objective,
        cycle=body.cycle, title=body.title, description=body.description,
        owner=body.owner.model_dump(mode="json"), parent_id=body.parent_id, actor=who.actor,
    )


@router.get("/{objective_id}", response_model=s.ObjectivePublic,
            responses=error_responses(401, 404, 422, 503))
def get_objective(
    objective_id: ObjectiveId, response: Response, _: Viewer, at: EntityAsOf,
    conn: ReadConn, valid_at: ValidAt = None,
) -> dict[str, object]:
    """An objective with its key results, now or as of / valid at past instants."""
    found = queries.objective_detail(conn, objective_id, as_of=at.instant, valid_at=valid_at)
    if found is None:
        raise NotFound(f"unknown objective {objective_id}")
    entity_etag(at, response, int(str(found["version"])))
    return found


@router.patch("/{objective_id}", response_model=s.CommandAnswer, responses=CHANGE)
async def edit_objective(
    objective_id: ObjectiveId, body: s.ObjectiveUpdate, commands: CommandsDep, who: Member,
    version: IfMatch,
) -> dict[str, object]:
    """Change an objective's title or description."""
    return await commands.answer(
        commands.app.edit_objective,
        objective_id, title=body.title, description=body.description, reason=body.reason,
        actor=who.actor, if_match=version,
    )


@router.put("/{objective_id}/owner", response_model=s.CommandAnswer, responses=CHANGE)
async def reassign_objective(
    objective_id: ObjectiveId, body: s.OwnerChange, commands: CommandsDep, who: Member,
    version: IfMatch,
) -> dict[str, object]:
    """Give an objective to another team or person."""
    return await commands.answer(
        commands.app.reassign_objective,
        objective_id, owner=body.owner.model_dump(mode="json"), reason=body.reason,
        actor=who.actor, if_match=version,
    )


@router.put("/{objective_id}/parent", response_model=s.CommandAnswer, responses=CHANGE)
async def realign_objective(
    objective_id: ObjectiveId, body: s.ParentChange, commands: CommandsDep, who: Member,
    version: IfMatch,
) -> dict[str, object]:
    """Align an objective under another parent (null: make it a root); loops are refused."""
    return await commands.answer(
        commands.app.realign_objective,
        objective_id, parent_id=body.parent_id, reason=body.reason, actor=who.actor,
        if_match=version,
    )


@router.post("/{objective_id}/carry-over", status_code=status.HTTP_201_CREATED,
             response_model=s.CommandAnswer, responses=CHANGE)
async def carry_over(
    objective_id: ObjectiveId, body: s.CarryOver, commands: CommandsDep, who: Member,
    version: IfMatch,
) -> dict[str, object]:
    """Continue an objective in another cycle; answers the new objective."""
    return await commands.answer(
        commands.app.carry_over,
        objective_id, cycle=body.cycle, reason=body.reason, actor=who.actor, if_match=version
    )


@router.post("/{objective_id}/archive", response_model=s.CommandAnswer, responses=CHANGE)
async def archive_objective(
    objective_id: ObjectiveId, commands: CommandsDep, who: Member, version: IfMatch,
    body: s.Archive | None = None,
) -> dict[str, object]:
    """Archive an objective; it leaves the alignment tree and progress roll-ups."""
    return await commands.answer(
        commands.app.archive_objective,
        objective_id, reason=None if body is None else body.reason, actor=who.actor,
        if_match=version,
    )


@router.post("/{objective_id}/key-results", status_code=status.HTTP_201_CREATED,
             response_model=s.CommandAnswer, responses=CHANGE)
async def add_key_result(
    objective_id: ObjectiveId, body: s.KeyResultCreate, commands: CommandsDep, who: Member,
    version: IfMatch,
) -> dict[str, object]:
    """Add a key result to an objective (If-Match applies to the objective)."""
    return await commands.answer(
        commands.app.add_key_result,
        objective_id, title=body.title, kind=body.kind, start=body.start, target=body.target,
        unit=body.unit, weight=body.weight,
        owner=None if body.owner is None else body.owner.model_dump(mode="json"),
        actor=who.actor, if_match=version,
    )

"""Key results: read (with time travel), edit, reassign, check in, grade."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Path, Response

from api import schemas as s
from api.auth import AuthFirst, Member, Viewer
from api.deps import CommandsDep, IfMatch, ReadConn
from api.errors import error_responses
from api.reading import CheckInsAsOf, EntityAsOf, entity_etag
from api.timeparams import ValidAt
from domain.errors import NotFound
from projections import queries

router = APIRouter(prefix="/v1/key-results", tags=["key results"], route_class=AuthFirst)
CHANGE = error_responses(401, 403, 404, 409, 412, 413, 422)
READ = error_responses(401, 404, 422, 503)
KeyResultId = Annotated[UUID, Path(description="The key result's id")]


@router.get("/{kr_id}", response_model=s.KeyResultPublic, responses=READ)
def get_key_result(
    kr_id: KeyResultId, response: Response, _: Viewer, at: EntityAsOf, conn: ReadConn,
    valid_at: ValidAt = None,
) -> dict[str, object]:
    """A key result with its current value and progress, now or as of / valid at."""
    found = queries.key_result_detail(conn, kr_id, as_of=at.instant, valid_at=valid_at)
    if found is None:
        raise NotFound(f"unknown key result {kr_id}")
    entity_etag(at, response, int(str(found["version"])))
    return found


@router.patch("/{kr_id}", response_model=s.CommandAnswer, responses=CHANGE)
async def edit_key_result(
    kr_id: KeyResultId, body: s.KeyResultUpdate, commands: CommandsDep, who: Member,
    version: IfMatch,
) -> dict[str, object]:
    """Change a key result's title, target or weight (give a reason for the audit)."""
    return await commands.answer(
        commands.app.edit_key_result,
        kr_id, title=body.title, target=body.target, weight=body.weight, reason=body.reason,
        actor=who.actor, if_match=version,
    )


@router.put("/{kr_id}/owner", response_model=s.CommandAnswer, responses=CHANGE)
async def reassign_key_result(
    kr_id: KeyResultId, body: s.KeyResultOwnerChange, commands: CommandsDep, who: Member,
    version: IfMatch,
) -> dict[str, object]:
    """Give a key result its own owner (null: the objective's owner)."""
    owner = None if body.owner is None else body.owner.model_dump(mode="json")
    return await commands.answer(
        commands.app.reassign_key_result,
        kr_id, owner=owner, reason=body.reason, actor=who.actor, if_match=version
    )


# A connector (a sync from another tool) says so; every other API check-in is "api".
Channel = Annotated[Literal["api", "integration"], Header(
    alias="OKR-Channel", description="`integration` when a connector or sync job sends the "
    "check-in; the check-in event's `channel` (default `api`)")]


@router.post("/{kr_id}/check-ins", response_model=s.CheckInAnswer, responses=CHANGE)
async def check_in(
    kr_id: KeyResultId, body: s.CheckInCreate, commands: CommandsDep, who: Member,
    version: IfMatch, channel: Channel = "api",
) -> dict[str, object]:
    """Record a value of a key result, true from `effective_at` (default now)."""
    return await commands.answer(
        commands.app.check_in,
        kr_id, value=body.value, confidence=body.confidence, note=body.note,
        effective_at=body.effective_at, actor=who.actor, if_match=version, channel=channel,
    )


@router.get("/{kr_id}/check-ins", response_model=s.CheckInList, responses=READ)
def list_check_ins(
    kr_id: KeyResultId, _: Viewer, at: CheckInsAsOf, conn: ReadConn,
) -> dict[str, object]:
    """The check-ins of a key result known at `as_of` (default now), by effective time."""
    found = queries.check_ins(conn, kr_id, as_of=at.instant)
    if found is None:
        raise NotFound(f"unknown key result {kr_id}")
    return {"items": found}


@router.post("/{kr_id}/grade", response_model=s.CommandAnswer, responses=CHANGE)
async def grade_key_result(
    kr_id: KeyResultId, body: s.Grade, commands: CommandsDep, who: Member, version: IfMatch
) -> dict[str, object]:
    """Grade a key result by hand (0..1); the cycle close keeps this score."""
    return await commands.answer(
        commands.app.grade_key_result,
        kr_id, score=body.score, note=body.note, actor=who.actor, if_match=version
    )

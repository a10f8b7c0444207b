"""Teams, people and API tokens."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from api import schemas as s
from api.auth import Admin, AuthFirst, TokenStore, Viewer
from api.deps import CommandsDep, IfMatch, ReadConn
from api.errors import error_responses
from api.reading import Current
from projections import queries

router = APIRouter(prefix="/v1", tags=["organisation"], route_class=AuthFirst)
WRITE = error_responses(401, 403, 409, 413, 422)


@router.post("/teams", status_code=status.HTTP_201_CREATED, response_model=s.CommandAnswer,
             responses=WRITE)
async def create_team(body: s.TeamCreate, commands: CommandsDep, who: Admin) -> dict[str, object]:
    """Found a team, optionally under a parent team."""
    return await commands.answer(
        commands.app.create_team,
        name=body.name, parent_id=body.parent_id, actor=who.actor
    )


@router.get("/teams", response_model=s.TeamList, responses=error_responses(401, 422, 503))
def list_teams(_: Viewer, __: Current, conn: ReadConn) -> dict[str, object]:
    """List every team."""
    return {"items": queries.teams(conn)}


@router.post("/people", status_code=status.HTTP_201_CREATED, response_model=s.CommandAnswer,
             responses=WRITE)
async def register_person(
    body: s.PersonCreate, commands: CommandsDep, who: Admin
) -> dict[str, object]:
    """Register a person, optionally in a team."""
    return await commands.answer(
        commands.app.register_person,
        name=body.name, email=body.email, team_id=body.team_id, actor=who.actor
    )


@router.get("/people", response_model=s.PersonList, responses=error_responses(401, 422, 503))
def list_people(_: Viewer, __: Current, conn: ReadConn) -> dict[str, object]:
    """List every person."""
    return {"items": queries.people(conn)}


@router.put("/people/{person_id}/team", response_model=s.CommandAnswer,
            responses=error_responses(401, 403, 404, 409, 412, 413, 422))
async def move_person(
    person_id: UUID, body: s.PersonMove, commands: CommandsDep, who: Admin, version: IfMatch
) -> dict[str, object]:
    """Move a person to another team."""
    return await commands.answer(
        commands.app.move_person,
        person_id, team_id=body.team_id, reason=body.reason, actor=who.actor, if_match=version
    )


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=s.TokenCreated,
             tags=["auth"], responses=WRITE)
async def create_token(
    body: s.TokenCreate, request: Request, commands: CommandsDep, who: Admin
) -> dict[str, object]:
    """Issue an API token for a person with a role; the token is shown only in this answer."""
    await commands.run(commands.app.require_person, body.person_id)
    tokens: TokenStore = request.app.state.tokens
    token = await run_in_threadpool(tokens.issue, body.person_id, body.role, who.actor)
    return {"token": token, "person_id": body.person_id, "role": body.role}

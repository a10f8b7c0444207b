"""Cross-cutting reads: the alignment tree, audit trail, changes, history, engagement."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from api import schemas as s
from api.auth import AuthFirst, Viewer
from api.deps import ReadConn
from api.errors import error_responses
from api.reading import AuditUntil, ChangesUntil, Current, TreeAsOf
from api.timeparams import RecordedSince, Since, ValidAt
from domain.errors import NotFound
from projections import queries

router = APIRouter(prefix="/v1", tags=["reads"], route_class=AuthFirst)
READ = error_responses(401, 404, 422, 503)
CycleQuery = Annotated[s.CycleKey, Query(description="The cycle's key", examples=["2026-Q4"])]


def _cycle_found(answer: dict[str, object] | None, cycle: str) -> dict[str, object]:
    if answer is None:
        raise NotFound(f"unknown cycle {cycle}")
    return answer


@router.get("/alignment-tree", response_model=s.AlignmentTree, responses=READ)
def alignment_tree(
    cycle: CycleQuery, _: Viewer, at: TreeAsOf, conn: ReadConn, valid_at: ValidAt = None
) -> dict[str, object]:
    """The cycle's forest of active objectives with rolled-up progress, at any instant."""
    return _cycle_found(
        queries.alignment_tree(conn, cycle, as_of=at.instant, valid_at=valid_at), cycle
    )


@router.get("/audit", response_model=s.AuditPage, responses=error_responses(401, 422, 503))
def audit(
    _: Viewer, at: AuditUntil, conn: ReadConn,
    entity_id: Annotated[UUID | None, Query(description="Only this entity")] = None,
    actor: Annotated[str | None, Query(
        max_length=200, pattern=s.NO_NUL, description="Only this actor")] = None,
    since: RecordedSince = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="From `next_cursor`")] = None,
) -> dict[str, object]:
    """Who changed what, when, from what to what and why, ordered by position."""
    return queries.audit(conn, entity_id=entity_id, actor=actor, since=since, until=at.instant,
                         limit=limit, cursor=cursor)


@router.get("/changes", response_model=s.Changes, responses=READ)
def changes(
    cycle: CycleQuery, since: Since, _: Viewer, at: ChangesUntil, conn: ReadConn,
) -> dict[str, object]:
    """What changed in a cycle between two instants."""
    assert at.instant is not None
    return _cycle_found(queries.changes(conn, cycle, since, at.instant), cycle)


@router.get("/history", response_model=s.History, responses=error_responses(401, 422, 503))
def history(
    _: Viewer, __: Current, conn: ReadConn,
    owner_type: Annotated[Literal["team", "person"] | None, Query()] = None,
    owner_id: Annotated[UUID | None, Query()] = None,
    from_cycle: Annotated[s.CycleKey | None, Query()] = None,
    to_cycle: Annotated[s.CycleKey | None, Query()] = None,
) -> dict[str, object]:
    """Quarter-over-quarter statistics, for everyone or one owner."""
    return queries.history(
        conn, owner_type=owner_type, owner_id=None if owner_id is None else str(owner_id),
        from_cycle=from_cycle, to_cycle=to_cycle,
    )


@router.get("/insights/engagement", response_model=s.Engagement, responses=READ)
def engagement(cycle: CycleQuery, _: Viewer, __: Current, conn: ReadConn) -> dict[str, object]:
    """Per team: check-ins, stale and lagging key results, alignment coverage."""
    return _cycle_found(queries.engagement(conn, cycle), cycle)

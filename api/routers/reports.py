"""Report downloads: CSV, XLSX or JSON files of the tree, changes, audit trail and history,
with the log position they reflect and its chain hash (contract section 7)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import anyio
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api import schemas as s
from api.auth import AuthFirst, Viewer
from api.deps import StoreDep
from api.errors import NotCaughtUp, NotModified, error_responses
from api.reading import (
    CACHE_SETTLED,
    IfNoneMatch,
    matches,
    opaque_etag,
    settler_of,
    timeout_of,
)
from api.report_formats import MEDIA_TYPES, WRITERS, Format, ReportMeta
from api.timeparams import AsOf, Instant, ValidAt
from domain.errors import NotFound
from eventstore import Store
from projections.report_rows import REPORTS, ReportParams, ReportSpec
from projections.report_rows.opening import OpenedReport, open_report, position_if_ready

router = APIRouter(prefix="/v1/reports", tags=["reports"], route_class=AuthFirst)
DOWNLOAD: dict[int | str, dict[str, Any]] = {200: {
    "description": "The report as a download (`Content-Disposition: attachment`), with the "
                   "headers `OKR-Position` and `OKR-Chain-Hash`",
    "content": {
        MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
        MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
        MEDIA_TYPES["json"]: {"schema": {
            "type": "object", "required": ["report", "rows"], "properties": {
                "report": {"type": "object", "required": ["name", "parameters", "position",
                                                          "chain_hash"]},
                "rows": {"type": "array", "items": {"type": "object"}}}}},
    },
}}
ActorQuery = Annotated[str | None, Query(max_length=200, pattern=s.NO_NUL, description="audit")]
InstantQuery = Annotated[Instant | None, Query(description="RFC 3339 with an offset")]


@router.get("/{name}", response_class=StreamingResponse,
            responses={**DOWNLOAD, **error_responses(401, 404, 422, 503)})
async def report(
    request: Request, store: StoreDep, _: Viewer,
    name: Annotated[str, Path(description=f"One of: {', '.join(REPORTS)}")],
    format: Annotated[Format, Query(description="File format")] = "csv",
    cycle: Annotated[s.CycleKey | None, Query(description="alignment, changes")] = None,
    as_of: AsOf = None, valid_at: ValidAt = None,
    since: InstantQuery = None, until: InstantQuery = None,
    entity_id: Annotated[UUID | None, Query(description="audit")] = None,
    actor: ActorQuery = None,
    owner_type: Annotated[Literal["team", "person"] | None, Query()] = None,
    owner_id: Annotated[UUID | None, Query()] = None,
    from_cycle: Annotated[s.CycleKey | None, Query()] = None,
    to_cycle: Annotated[s.CycleKey | None, Query()] = None,
    if_none_match: IfNoneMatch = None,
) -> StreamingResponse:
    """A report as a file; the parameters are those of its JSON read (`alignment`: those of
    /v1/alignment-tree; `changes`: /v1/changes; `audit`: the filters of /v1/audit;
    `history`: /v1/history). With an explicit `as_of` (or `until`), the same bytes every time."""
    spec = REPORTS.get(name)
    if spec is None:
        raise NotFound(f"unknown report {name}; reports: {', '.join(REPORTS)}")
    params = ReportParams(
        cycle=cycle, as_of=as_of, valid_at=valid_at, since=since, until=until,
        entity_id=None if entity_id is None else str(entity_id), actor=actor,
        owner_type=owner_type, owner_id=None if owner_id is None else str(owner_id),
        from_cycle=from_cycle, to_cycle=to_cycle)
    spec.check(params)
    caching = await _settled(request, spec, params, if_none_match)
    opened = await _opened(request, store, spec, params)
    meta = ReportMeta(spec.name, params.given(), opened.position, opened.chain_hash,
                      spec.instant(params))
    return StreamingResponse(
        WRITERS[format](meta, spec.columns, opened.rows), media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition":
                f'attachment; filename="okr-{spec.name}-{opened.position}.{format}"',
            "OKR-Position": str(opened.position), "OKR-Chain-Hash": opened.chain_hash,
            **caching,
        })


async def _settled(request: Request, spec: ReportSpec, params: ReportParams,
                   if_none_match: str | None) -> dict[str, str]:
    """Wait until the report's instant is settled (as every read at an instant); its
    caching headers, or 304 when the caller holds this report already."""
    settler = settler_of(request)
    await settler.gate()
    instant = spec.instant(params)
    if instant is None or spec.instant_parameter is None:
        return {"Cache-Control": "no-cache"}
    settled = await settler.settle(instant, spec.instant_parameter, timeout_of(request),
                                   settler.followers)
    caching = {"Cache-Control": CACHE_SETTLED, "ETag": opaque_etag(request, settled.position)}
    if matches(if_none_match, caching["ETag"]):
        raise NotModified({**caching, "OKR-Position": str(settled.position)})
    return caching


async def _opened(request: Request, store: Store, spec: ReportSpec,
                  params: ReportParams) -> OpenedReport:
    """The report once the projections and the sealer reached its position (<= 5 s)."""
    deadline = anyio.current_time() + request.app.state.read_wait_timeout
    while True:
        position = await run_in_threadpool(_position_if_ready, store, spec.instant(params))
        if position is not None:
            opened = await run_in_threadpool(open_report, store.pool, spec, params, position)
            if opened is not None:
                return opened
        if anyio.current_time() >= deadline:
            raise NotCaughtUp("the read models or the integrity chain have not reached the "
                              "report's position yet; retry", headers={"Retry-After": "1"})
        await anyio.sleep(0.02)


def _position_if_ready(store: Store, instant: Any) -> int | None:
    with store.pool.connection() as conn:
        return position_if_ready(conn, instant)

"""The whole log as a download: the NDJSON file of `okr export` (docs/export.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.auth import Admin, AuthFirst
from api.deps import StoreDep
from api.errors import error_responses
from api.reading import settler_of
from eventstore.export import export_lines, export_span

router = APIRouter(prefix="/v1/export", tags=["export"], route_class=AuthFirst)
NDJSON = "application/x-ndjson"


@router.get("", response_class=StreamingResponse, responses={
    **error_responses(401, 403, 422, 503),
    200: {"content": {NDJSON: {}}, "description": "The log: a header line, then one per event"},
})
async def export_log(
    request: Request, store: StoreDep, _: Admin,
    until_position: Annotated[int | None, Query(
        ge=0, le=2**62, description="Export the events up to this position (default: all)")]
    = None,
) -> StreamingResponse:
    """Stream the event log as NDJSON (the file of `okr export`), in constant memory; 503
    while the store is loading (`okr demo`, `okr import`)."""
    await settler_of(request).gate()
    span = await run_in_threadpool(export_span, store, until_position)
    return StreamingResponse(export_lines(store, span), media_type=NDJSON, headers={
        "Content-Disposition": 'attachment; filename="okr-ledger-log.ndjson"'})

"""The global log of events: a paged feed and a Server-Sent Events stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from api import schemas as s
from api.auth import AuthFirst, Viewer
from api.deps import StoreDep
from api.errors import error_responses
from api.reading import Current, settler_of
from api.sse import Broadcaster, read_envelopes
from domain.errors import InvalidInput

router = APIRouter(prefix="/v1/events", tags=["events"], route_class=AuthFirst)
After = Annotated[int, Query(ge=0, le=2**62, description="Only events after this position")]


@router.get("", response_model=s.EventPage, responses=error_responses(401, 422, 503))
def list_events(
    store: StoreDep, response: Response, _: Viewer, __: Current, after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
) -> dict[str, object]:
    """A page of event envelopes in log order; pass `next_after` as `after` for the next."""
    items = read_envelopes(store, after, limit)
    next_after = items[-1]["position"] if items else after
    response.headers["OKR-Position"] = str(next_after)  # the log up to its last event
    return {"items": items, "next_after": next_after}


@router.get(
    "/stream", response_class=StreamingResponse,
    responses={200: {"description": "text/event-stream: `id:` position, `event:` type, "
                     "`data:` envelope JSON; `: heartbeat` comments every 15 s",
                     "content": {"text/event-stream": {"schema": {"type": "string"}}}},
               **error_responses(401, 422, 503)},
)
async def stream_events(
    request: Request, _: Viewer, after: After = 0,
    last_event_id: Annotated[str | None, Header(
        alias="Last-Event-ID", description="Resume after this position (wins over `after`)"
    )] = None,
) -> StreamingResponse:
    """Follow the log live as Server-Sent Events, resuming with Last-Event-ID."""
    request.app.state.store.availability.require()  # 503 now rather than a silent stream
    if last_event_id is not None:
        text = last_event_id.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise InvalidInput("Last-Event-ID must be a position", field="Last-Event-ID")
        after = int(last_event_id.strip())
    await settler_of(request).gate()
    broadcaster: Broadcaster = request.app.state.broadcaster
    return StreamingResponse(
        broadcaster.stream(after, request.app.state.sse_heartbeat),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

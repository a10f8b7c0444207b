"""What a read reflects, and the headers that say so (contract section 2).

Every read route takes one basis: a current read (`Cache-Control: no-cache`, `OKR-Position`:
the projections' position, read before the rows, so the rows reflect at least it) or a read
at a settled instant (`as_of` or `until`: `OKR-Position` is the last position recorded by
then, the answer never changes, so it may be cached: `Cache-Control: private,
max-age=86400`, an ETag, and 304 for a matching `If-None-Match`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response

from api.errors import NotModified
from api.settle import Settler
from api.timeparams import AsOf, Instant
from projections.alignment import ALIGNMENT
from projections.audit import AUDIT
from projections.base import ProjectionSpec
from projections.directory import DIRECTORY

# Part of every opaque ETag: change it when the shape or content of an answer changes, so
# that clients holding an old answer fetch the new one.
REPRESENTATION = "1"
CACHE_SETTLED = "private, max-age=86400"
AfterPosition = Annotated[int | None, Query(
    ge=0, le=2**62, description="Wait (up to 5 s) until the read models have processed "
    "this position of the global log (read your writes); 503 otherwise",
)]
IfNoneMatch = Annotated[str | None, Header(
    alias="If-None-Match", description="ETags held: 304 when the answer has one of them "
    "(reads at a settled instant only)")]
UntilOptional = Annotated[Instant | None, Query(
    description="Recorded at or before this instant; waits until it is settled")]
UntilRequired = Annotated[Instant, Query(
    description="End instant (RFC 3339 with offset); waits until it is settled")]


@dataclass(frozen=True)
class Basis:
    """The instant a read answers at (None: now) and the position it reflects."""

    instant: datetime | None
    position: int
    if_none_match: str | None = None


def settler_of(request: Request) -> Settler:
    settler: Settler = request.app.state.settler
    return settler


def timeout_of(request: Request) -> float:
    """How long a read waits for the read models (5 s; tests shorten it)."""
    timeout: float = request.app.state.read_wait_timeout
    return timeout


async def current_read(
    request: Request, response: Response, after_position: AfterPosition = None,
) -> Basis:
    position = await settler_of(request).current(after_position, timeout_of(request))
    response.headers["OKR-Position"] = str(position)
    response.headers["Cache-Control"] = "no-cache"
    return Basis(None, position)


class _SettledRead:
    """A read at a settled instant of the read models it uses (`specs`); the instant comes
    from the query parameter of the subclass's `__call__`."""

    def __init__(self, *specs: ProjectionSpec, entity: bool = False) -> None:
        self.followers = tuple(spec.tracking_name for spec in specs)
        self.entity = entity  # one entity's read: its ETag is its version (`entity_etag`)

    async def read(self, request: Request, response: Response, instant: datetime | None,
                   name: str, after_position: int | None, if_none_match: str | None) -> Basis:
        if instant is None:
            return await current_read(request, response, after_position)
        settler = settler_of(request)
        settled = await settler.settle(instant, name, timeout_of(request), self.followers)
        if after_position:
            await settler.current(after_position, timeout_of(request))
        headers = {"OKR-Position": str(settled.position), "Cache-Control": CACHE_SETTLED,
                   "Server-Timing": f"settle;dur={settled.waited * 1000:.1f}, "
                                    f"horizon;dur={settled.horizon * 1000:.1f}"}
        if not self.entity:
            headers["ETag"] = opaque_etag(request, settled.position)
            if matches(if_none_match, headers["ETag"]):
                raise NotModified(headers)
        response.headers.update(headers)
        return Basis(instant, settled.position, if_none_match)


class ReadAsOf(_SettledRead):
    """`as_of` (optional: without it, a current read)."""

    async def __call__(
        self, request: Request, response: Response, as_of: AsOf = None,
        after_position: AfterPosition = None, if_none_match: IfNoneMatch = None,
    ) -> Basis:
        return await self.read(request, response, as_of, "as_of", after_position,
                               if_none_match)


class ReadUntil(_SettledRead):
    """`until` (optional: without it, a current read)."""

    async def __call__(
        self, request: Request, response: Response, until: UntilOptional = None,
        after_position: AfterPosition = None, if_none_match: IfNoneMatch = None,
    ) -> Basis:
        return await self.read(request, response, until, "until", after_position,
                               if_none_match)


class ReadSettledUntil(_SettledRead):
    """`until`, required: always a read at a settled instant."""

    async def __call__(
        self, request: Request, response: Response, until: UntilRequired,
        after_position: AfterPosition = None, if_none_match: IfNoneMatch = None,
    ) -> Basis:
        return await self.read(request, response, until, "until", after_position,
                               if_none_match)


def opaque_etag(request: Request, position: int) -> str:
    """Of the representation, the route, the query (bar `after_position`) and the position:
    known before the query runs, so a 304 costs no query."""
    query = sorted((k, v) for k, v in request.query_params.multi_items()
                   if k != "after_position")
    key = repr((REPRESENTATION, request.url.path, query, position)).encode()
    return f'"{sha256(key).hexdigest()[:32]}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    held = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in held or "*" in held


def entity_etag(basis: Basis, response: Response, version: int) -> None:
    """`ETag: "<version>"` on one entity's read; 304 when it is settled and held already."""
    etag = f'"{version}"'
    response.headers["ETag"] = etag
    if basis.instant is not None and matches(basis.if_none_match, etag):
        raise NotModified({**{k: v for k, v in response.headers.items()
                              if k.lower() != "content-length"}, "ETag": etag})


Current = Annotated[Basis, Depends(current_read)]
# Each read at an instant waits only for the read models it uses.
EntityAsOf = Annotated[Basis, Depends(ReadAsOf(ALIGNMENT, entity=True))]
CheckInsAsOf = Annotated[Basis, Depends(ReadAsOf(ALIGNMENT))]
TreeAsOf = Annotated[Basis, Depends(ReadAsOf(ALIGNMENT, DIRECTORY))]
AuditUntil = Annotated[Basis, Depends(ReadUntil(AUDIT))]
ChangesUntil = Annotated[Basis, Depends(ReadSettledUntil(ALIGNMENT, DIRECTORY))]

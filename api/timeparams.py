"""Query parameters of time travel: RFC 3339 instants that must carry an offset."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime

AsOf = Annotated[AwareDatetime | None, Query(
    description="Transaction time: the state built from events recorded at or before this "
    "instant (RFC 3339 with an offset, e.g. 2026-11-15T12:00:00Z)",
    examples=["2026-11-15T12:00:00Z"],
)]
ValidAt = Annotated[AwareDatetime | None, Query(
    description="Valid time: which check-in applies (the latest effective at or before it); "
    "default: as_of, or now",
    examples=["2026-11-09T00:00:00+01:00"],
)]
Since = Annotated[AwareDatetime, Query(description="Start instant (RFC 3339 with offset)")]
Until = Annotated[AwareDatetime, Query(description="End instant (RFC 3339 with offset)")]

"""Query parameters of time travel: RFC 3339 instants that must carry an offset."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime, BeforeValidator

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339_text(value: object) -> object:
    """Refuse what pydantic would otherwise take as a time: Unix numbers, bare dates."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, like "
                         "2026-11-15T12:00:00Z")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]

AsOf = Annotated[Instant | None, Query(
    description="Transaction time: the state built from events recorded at or before this "
    "instant (RFC 3339 with an offset, e.g. 2026-11-15T12:00:00Z)",
    examples=["2026-11-15T12:00:00Z"],
)]
ValidAt = Annotated[Instant | None, Query(
    description="Valid time: which check-in applies (the latest effective at or before it); "
    "default: as_of, or now",
    examples=["2026-11-09T00:00:00+01:00"],
)]
Since = Annotated[Instant, Query(description="Start instant (RFC 3339 with offset)")]
Until = Annotated[Instant, Query(description="End instant (RFC 3339 with offset)")]

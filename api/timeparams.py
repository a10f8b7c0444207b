"""Times at the edge: RFC 3339 instants that carry an offset, dates, both within the range
the API documents (`domain.values`: EARLIEST..LATEST), and the time-travel query parameters."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from domain.values import EARLIEST, FIRST_DAY, LAST_DAY, LATEST, in_time_range

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _rfc3339_text(value: object) -> object:
    """Refuse what pydantic would otherwise take as a time: Unix numbers, bare dates."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, like "
                         "2026-11-15T12:00:00Z")
    return value


def _in_range(value: datetime) -> datetime:
    if not in_time_range(value):
        raise ValueError(f"must lie from {EARLIEST:%Y-%m-%dT%H:%M:%SZ} up to, not including, "
                         f"{LATEST:%Y-%m-%dT%H:%M:%SZ}")
    return value


def _full_date_text(value: object) -> object:
    """Only `YYYY-MM-DD`: not a Unix number, not a date-time."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not FULL_DATE.fullmatch(value):
        raise ValueError("must be a date like 2026-10-01")
    return value


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must lie from {FIRST_DAY} to {LAST_DAY}")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_in_range)]
Day = Annotated[date, BeforeValidator(_full_date_text), AfterValidator(_day_in_range)]

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
RecordedSince = Annotated[Instant | None, Query(
    description="Recorded at or after (RFC 3339 with offset)")]

"""Query parameters of the pages: read leniently (an empty field is no value), refused with
the API's own rules, and written back into links the same way every time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from api.timeparams import Instant
from domain.errors import InvalidInput

INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)


def instant_text(value: datetime | None) -> str | None:
    """An instant as the pages write it: RFC 3339 in UTC, `Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def link(path: str, **params: Any) -> str:
    """`path` with the given query parameters, leaving out those without a value."""
    given = {k: v for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(given)}" if given else path


def instant(name: str, text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return INSTANT.validate_python(text)
    except ValidationError:
        raise InvalidInput(f"{name} must be an RFC 3339 date-time with an offset, like "
                           "2026-11-15T12:00:00Z", field=name) from None


def uuid(name: str, text: str | None) -> UUID | None:
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise InvalidInput(f"{name} must be an id (a UUID)", field=name) from None


def whole(name: str, text: str | None, default: int, low: int = 1, high: int = 10**6) -> int:
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}", field=name)
    return int(text)


@dataclass(frozen=True)
class ViewTime:
    """The instants of a view: `as_of` (transaction time) and `valid_at` (valid time)."""

    as_of: datetime | None = None
    valid_at: datetime | None = None

    def query(self) -> dict[str, str | None]:
        return {"as_of": instant_text(self.as_of), "valid_at": instant_text(self.valid_at)}

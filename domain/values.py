"""Value rules shared by the aggregates: owners, text limits, numbers, times."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

from domain.errors import InvalidInput

NAME_MAX = 200
TEXT_MAX = 10_000
REASON_MAX = 1_000
WEIGHT_MAX = 1e6  # weighted means of huge weights overflow to inf/nan
CYCLE_KEY_MAX = 32
CYCLE_KEY_PATTERN = re.compile(rf"[A-Za-z0-9._-]{{1,{CYCLE_KEY_MAX}}}")
EMAIL_PATTERN = re.compile(r"[^@\s\x00]{1,64}@[^@\s\x00]{1,190}")
# Every time the API takes or shows lies in [EARLIEST, LATEST) (contract section 2: at least
# 1970-2999): far from the limits of Python (years 1-9999, in UTC too) and of PostgreSQL.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
LAST_INSTANT = LATEST - timedelta(microseconds=1)
FIRST_DAY, LAST_DAY = EARLIEST.date(), date(2999, 12, 31)
OwnerType = Literal["team", "person"]
# The edge a check-in came through (KeyResult.CheckedIn v2): the JSON API, the dashboard,
# the command line (okr demo), records migrated from another tool, and a connector that
# declares itself (docs/api.md). Check-ins recorded before v2 are read as "api".
Channel = Literal["api", "ui", "cli", "import", "integration"]
CHANNELS: tuple[str, ...] = get_args(Channel)
KIND_DEFAULTS: dict[str, tuple[float, float]] = {"percentage": (0.0, 100.0), "binary": (0.0, 1.0)}


@dataclass(frozen=True)
class Owner:
    """Who owns an objective or KR: a team or a person."""

    type: OwnerType
    id: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Owner:
        kind = data.get("type")
        if kind not in ("team", "person"):
            raise InvalidInput("owner.type must be 'team' or 'person'", field="owner.type")
        return cls(type=kind, id=str(data.get("id")))


def check_no_nul(value: str, field: str) -> str:
    """PostgreSQL text cannot hold NUL; refuse it here rather than stall a projection."""
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters", field=field)
    return value


def check_name(value: str, field: str = "title") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
        raise InvalidInput(f"{field} must be 1 to {NAME_MAX} characters", field=field)
    return check_no_nul(value, field)


def check_text(value: str | None, field: str, limit: int = TEXT_MAX) -> str | None:
    if value is not None and len(value) > limit:
        raise InvalidInput(f"{field} must be at most {limit} characters", field=field)
    return None if value is None else check_no_nul(value, field)


def check_reason(value: str | None) -> str | None:
    return check_text(value, "reason", REASON_MAX)


def check_finite(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a finite number", field=field)
    return float(value)


def check_unit_interval(value: float | None, field: str) -> float | None:
    if value is None:
        return None
    number = check_finite(value, field)
    if not 0.0 <= number <= 1.0:
        raise InvalidInput(f"{field} must be between 0 and 1", field=field)
    return number


def check_weight(value: float) -> float:
    weight = check_finite(value, "weight")
    if not 0 < weight <= WEIGHT_MAX:
        raise InvalidInput(f"weight must be greater than 0 and at most {WEIGHT_MAX:g}",
                           field="weight")
    return weight


def check_aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} must carry a UTC offset", field=field)
    return value


def in_time_range(value: datetime) -> bool:
    """Whether an aware time lies in [EARLIEST, LATEST), compared as an instant."""
    # Comparing aware datetimes never converts them, so year 1 at +14:00 cannot overflow.
    return EARLIEST <= value < LATEST


def check_instant(value: datetime, field: str) -> datetime:
    """An aware time within the range the API accepts."""
    if not in_time_range(check_aware(value, field)):
        raise InvalidInput(f"{field} must lie from {EARLIEST:%Y-%m-%d} up to, not including, "
                           f"{LATEST:%Y-%m-%d} (UTC)", field=field)
    return value


def check_day(value: date, field: str) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidInput(f"{field} must lie from {FIRST_DAY} to {LAST_DAY}", field=field)
    return value


def check_email(email: str) -> str:
    if not isinstance(email, str) or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInput("email must look like name@domain", field="email")
    return email


def check_cycle_key(key: str) -> str:
    if not isinstance(key, str) or not CYCLE_KEY_PATTERN.fullmatch(key):
        raise InvalidInput("cycle key must be 1 to 32 characters of A-Za-z0-9._-", field="key")
    return key


def resolve_kind_range(
    kind: str, start: float | None, target: float | None
) -> tuple[float, float]:
    """Start and target of a new KR of `kind`, with the contract's defaults and rules."""
    if kind == "numeric":
        if start is None or target is None:
            raise InvalidInput("a numeric key result needs start and target", field="target")
        return _distinct(check_finite(start, "start"), check_finite(target, "target"))
    if kind == "percentage":
        default_start, default_target = KIND_DEFAULTS[kind]
        first = default_start if start is None else check_finite(start, "start")
        last = default_target if target is None else check_finite(target, "target")
        return _distinct(first, last)
    if kind == "binary":
        if (start not in (None, 0, 0.0)) or (target not in (None, 1, 1.0)):
            raise InvalidInput("a binary key result runs from 0 to 1", field="target")
        return KIND_DEFAULTS[kind]
    raise InvalidInput("kind must be numeric, percentage or binary", field="kind")


def _distinct(start: float, target: float) -> tuple[float, float]:
    if start == target:
        raise InvalidInput("start and target must differ", field="target")
    return start, target


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    return channel

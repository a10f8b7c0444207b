"""Health of a key result in its cycle: the pace it should keep, lagging and stale.

The rules of `GET /v1/insights/engagement` (contract section 3), shared by every reader that
judges health (the engagement read, the alerts consumer).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

STALE_AFTER = timedelta(days=14)
LAG_MARGIN = 0.2


def pace(starts_on: date, ends_on: date, now: datetime) -> float:
    """The share of the cycle elapsed at `now` (0 before it starts, 1 after it ends)."""
    start = datetime.combine(starts_on, time.min, tzinfo=UTC)
    end = datetime.combine(ends_on, time.max, tzinfo=UTC)
    return min(1.0, max(0.0, (now - start) / (end - start)))


def is_lagging(progress: float, expected: float) -> bool:
    """More than LAG_MARGIN behind `expected`, the linear pace of the cycle."""
    return progress < expected - LAG_MARGIN


def is_stale(last_activity: datetime, now: datetime) -> bool:
    """No check-in for more than STALE_AFTER (`last_activity`: the last check-in, else the
    key result's creation)."""
    return now - last_activity > STALE_AFTER

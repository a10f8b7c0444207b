"""Health of a key result in its cycle: the pace it should keep, lagging, stale, and the
health shown for a KR or an objective (on track, at risk, off track).

The rules of `GET /v1/insights/engagement` (contract section 3) and of health (section 6),
shared by every reader that judges them: the engagement read, the dashboard, the alerts
consumer. Each is judged at an instant (`now`): a view's `as_of`, else the present.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

STALE_AFTER = timedelta(days=14)
LAG_MARGIN = 0.2
AT_RISK_CONFIDENCE = 0.5


class Health(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


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


def health(progress: float, expected: float, confidence: float | None) -> Health:
    """Off track when lagging (progress more than LAG_MARGIN behind the pace `expected`);
    else at risk when the latest confidence is below AT_RISK_CONFIDENCE; else on track.

    A key result: its progress and the confidence of its applicable check-in (none: no
    doubt expressed). An objective: see `objective_health`."""
    if is_lagging(progress, expected):
        return Health.OFF_TRACK
    if confidence is not None and confidence < AT_RISK_CONFIDENCE:
        return Health.AT_RISK
    return Health.ON_TRACK


def objective_health(
    progress: float, expected: float, confidences: Iterable[float | None]
) -> Health:
    """An objective's health: its progress against the pace, and the lowest latest confidence
    among its key results (one KR in doubt puts the objective at risk)."""
    given = [c for c in confidences if c is not None]
    return health(progress, expected, min(given) if given else None)


# The rule as the dashboard shows it beside every health it judges.
HEALTH_RULE = (
    f"Off track: progress more than {LAG_MARGIN:.0%} behind the linear pace of the cycle at "
    f"that instant. At risk: on pace within that margin, but the latest confidence is below "
    f"{AT_RISK_CONFIDENCE}. On track otherwise. An objective is judged on its progress and "
    "the lowest latest confidence of its key results."
)

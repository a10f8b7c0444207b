"""Calendar and agenda of the simulation: quarters, weeks, and actions run in time order."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

Action = Callable[[], None]


@dataclass(frozen=True)
class Quarter:
    key: str
    starts_on: date
    ends_on: date

    @property
    def start(self) -> datetime:
        return at(self.starts_on)

    @property
    def end(self) -> datetime:
        """The end of the quarter's last day."""
        return at(self.ends_on, 23, 59)

    def fridays(self) -> Iterator[datetime]:
        """One check-in day per week: the Fridays of the quarter after its first days."""
        day = self.starts_on + timedelta(days=(4 - self.starts_on.weekday()) % 7)
        if (day - self.starts_on).days < 3:
            day += timedelta(days=7)
        while day <= self.ends_on:
            yield at(day)
            day += timedelta(days=7)


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def quarter_of(day: date) -> Quarter:
    index = (day.month - 1) // 3
    starts_on = date(day.year, 3 * index + 1, 1)
    next_start = date(day.year + 1, 1, 1) if index == 3 else date(day.year, 3 * index + 4, 1)
    return Quarter(f"{day.year}-Q{index + 1}", starts_on, next_start - timedelta(days=1))


def quarters_until(today: date, count: int) -> list[Quarter]:
    """The `count` quarters ending with the one holding `today`, oldest first."""
    quarters = [quarter_of(today)]
    while len(quarters) < count:
        quarters.insert(0, quarter_of(quarters[0].starts_on - timedelta(days=1)))
    return quarters


@dataclass(order=True)
class _Entry:
    when: datetime
    seq: int
    action: Action = field(compare=False)


class Agenda:
    """Actions ordered by simulated time (ties: the order they were planned in).

    Actions later than `horizon` (the present) are dropped: history stops at now.
    """

    def __init__(self, horizon: datetime) -> None:
        self.horizon = horizon
        self._heap: list[_Entry] = []
        self._seq = 0

    def plan(self, when: datetime, action: Action) -> None:
        if when <= self.horizon:
            self._seq += 1
            heapq.heappush(self._heap, _Entry(when, self._seq, action))

    def run(self, before_each: Callable[[datetime], None]) -> int:
        """Run every action in time order, calling `before_each(when)` first; count them."""
        done = 0
        while self._heap:
            entry = heapq.heappop(self._heap)
            before_each(entry.when)
            entry.action()
            done += 1
        return done

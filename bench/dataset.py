"""Realistic organisations at three scales, recorded fast with historical times.

Writes go through the domain aggregates and `OkrApplication.save` in batches (hundreds of
events per transaction), in a loading session (eventstore/txtime.py) under a controllable clock that
walks week by week through the quarters, so `recorded_at` spreads over a year.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from domain import clock
from domain.application import OkrApplication
from domain.errors import DomainError
from domain.key_result import KeyResult
from eventstore.txtime import loading

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Scale:
    name: str
    objectives: int
    key_results: int
    check_ins: int
    quarters: int
    teams: int = 10
    people: int = 60


SCALES = {
    "small": Scale("small", 100, 400, 10_000, 2),
    "medium": Scale("medium", 1_000, 4_000, 100_000, 4),
    "large": Scale("large", 2_000, 10_000, 500_000, 4),
}
FIRST_QUARTER = date(2025, 10, 1)
WEEKS = 13


class HistoricalClock:
    """Strictly increasing times inside the current simulated week."""

    def __init__(self) -> None:
        self.now = datetime.combine(FIRST_QUARTER, datetime.min.time(), tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=500)
        return self.now

    def jump(self, when: datetime) -> None:
        self.now = max(self.now, when)


@dataclass
class Quarter:
    key: str
    starts_on: date
    objectives: list[UUID]
    key_results: list[UUID]


def _quarter_key(index: int) -> str:
    month = date(FIRST_QUARTER.year, FIRST_QUARTER.month, 1)
    month_index = month.month - 1 + 3 * index
    year = month.year + month_index // 12
    return f"{year}-Q{month_index % 12 // 3 + 1}"


def _starts(index: int) -> date:
    month_index = FIRST_QUARTER.month - 1 + 3 * index
    return date(FIRST_QUARTER.year + month_index // 12, month_index % 12 + 1, 1)


def load(app: OkrApplication, scale: Scale, progress: Progress, seed: int = 7) -> list[Quarter]:
    rng, historical = random.Random(seed), HistoricalClock()
    with loading(app), clock.clock_installed(historical):
        return _Loader(app, scale, rng, historical, progress).run()


class _Loader:
    def __init__(self, app: OkrApplication, scale: Scale, rng: random.Random,
                 historical: HistoricalClock, progress: Progress) -> None:
        self.app, self.scale, self.rng, self.clock = app, scale, rng, historical
        self.progress, self.done = progress, 0
        self.total = scale.check_ins + scale.key_results * 2 + scale.objectives * 2
        self.owners: list[dict[str, str]] = []

    def run(self) -> list[Quarter]:
        self._organisation()
        quarters = []
        for index in range(self.scale.quarters):
            quarter = self._plan(index)
            self._weeks(quarter, last=index == self.scale.quarters - 1)
            quarters.append(quarter)
        return quarters

    def _step(self, count: int) -> None:
        self.done += count
        self.progress(min(self.done, self.total), self.total)

    def _organisation(self) -> None:
        app = self.app
        company = app.create_team(name="Company", parent_id=None, actor="admin").id
        teams = [app.create_team(name=f"Team {n}", parent_id=UUID(company), actor="admin").id
                 for n in range(self.scale.teams)]
        people = [app.register_person(name=f"Person {n}", email=f"p{n}@example.com",
                                      team_id=UUID(self.rng.choice(teams)), actor="admin").id
                  for n in range(self.scale.people)]
        self.owners = ([{"type": "team", "id": t} for t in teams]
                       + [{"type": "person", "id": p} for p in people])

    def _plan(self, index: int) -> Quarter:
        starts = _starts(index)
        self.clock.jump(datetime.combine(starts, datetime.min.time(), tzinfo=UTC))
        key = _quarter_key(index)
        self.app.create_cycle(key=key, starts_on=starts, ends_on=_starts(index + 1)
                              - timedelta(days=1), actor="admin")
        quarter = Quarter(key, starts, [], [])
        per_quarter = self.scale.objectives // self.scale.quarters
        krs_each = max(1, self.scale.key_results // self.scale.objectives)
        for number in range(per_quarter):
            parent = self.rng.choice(quarter.objectives) if quarter.objectives and number % 4 \
                else None
            oid = UUID(self.app.create_objective(
                cycle=key, title=f"{key} objective {number:04}", description=None,
                owner=self.rng.choice(self.owners), parent_id=parent, actor="admin").id)
            quarter.objectives.append(oid)
            for k in range(krs_each):
                quarter.key_results.append(UUID(self.app.add_key_result(
                    oid, title=f"KR {k}", kind="numeric", start=0, target=100,
                    actor="admin").id))
            self._step(2 + 2 * krs_each)
        return quarter

    def _weeks(self, quarter: Quarter, last: bool) -> None:
        per_week = self.scale.check_ins // self.scale.quarters // WEEKS
        for week in range(WEEKS):
            monday = datetime.combine(quarter.starts_on, datetime.min.time(), tzinfo=UTC) \
                + timedelta(weeks=week)
            self.clock.jump(monday)
            self._check_ins(quarter, per_week, week)
            self._churn(quarter)
        if not last:
            self.app.close_cycle(quarter.key, actor="admin")

    def _check_ins(self, quarter: Quarter, count: int, week: int) -> None:
        batch_size = 1000
        for offset in range(0, count, batch_size):
            chosen = self.rng.sample(quarter.key_results, min(len(quarter.key_results), 200))
            aggregates = [self.app.repository.get(kr) for kr in chosen]
            size = min(batch_size, count - offset)
            # Each KR's check-ins one after the other: a save records the aggregates' events
            # in turn, and a loading session needs their times in that order.
            for number in range(size):
                kr = aggregates[number * len(aggregates) // size]
                assert isinstance(kr, KeyResult)
                value = min(100.0, (week + 1) * 100 / WEEKS * self.rng.uniform(0.5, 1.2))
                kr.check_in(value=round(value, 1), confidence=round(self.rng.random(), 2),
                            note=None, effective_at=None, actor="bench", channel="cli")
            self.app.save(*aggregates)
            self._step(size)

    def _churn(self, quarter: Quarter) -> None:
        """A realignment and a reassignment a week, some refused by the rules."""
        objective = self.rng.choice(quarter.objectives)
        parent = self.rng.choice(quarter.objectives)
        with contextlib.suppress(DomainError):  # loops are refused by design
            self.app.realign_objective(objective, parent_id=parent, actor="admin",
                                       reason="re-planning")
        self.app.reassign_objective(self.rng.choice(quarter.objectives),
                                    owner=self.rng.choice(self.owners), actor="admin",
                                    reason="ownership change")

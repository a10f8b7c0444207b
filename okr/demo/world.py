"""The state of a running simulation: scale, the organisation built so far, and counters."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.application import OkrApplication
from domain.progress import kr_progress, weighted_mean
from okr.demo.curves import Curve
from okr.demo.timeline import Agenda, Quarter

ADMIN = "admin"


@dataclass(frozen=True)
class Scale:
    """How big the generated organisation and its history are."""

    teams: int = 6
    people_per_team: int = 6
    quarters: int = 4  # the last one is the current quarter (open); the others are closed
    company_objectives: int = 3
    objectives_per_team: int = 2
    person_objectives_per_team: int = 2
    key_results: tuple[int, int] = (3, 5)

    def __post_init__(self) -> None:
        low, high = self.key_results
        if self.teams < 1 or self.people_per_team < 2 or self.quarters < 1:
            raise ValueError("a scale needs >= 1 team, >= 2 people per team, >= 1 quarter")
        if not 1 <= low <= high:
            raise ValueError("key_results must be (low, high) with 1 <= low <= high")


SCALES: dict[str, Scale] = {
    "small": Scale(teams=5, people_per_team=6, quarters=3, company_objectives=2,
                   objectives_per_team=1, person_objectives_per_team=1, key_results=(3, 3)),
    "demo": Scale(),
    "large": Scale(teams=10, people_per_team=20, quarters=8, company_objectives=5,
                   objectives_per_team=3, person_objectives_per_team=10),
}


@dataclass
class PersonRef:
    id: UUID
    name: str
    team: int  # index into Simulation.teams

    @property
    def actor(self) -> str:
        return str(self.id)

    @property
    def owner(self) -> dict[str, str]:
        return {"type": "person", "id": str(self.id)}


@dataclass
class TeamRef:
    id: UUID
    name: str
    members: list[PersonRef] = field(default_factory=list)

    @property
    def owner(self) -> dict[str, str]:
        return {"type": "team", "id": str(self.id)}

    @property
    def lead(self) -> PersonRef:
        return self.members[0]


@dataclass
class Obj:
    id: UUID
    quarter: Quarter
    title: str
    level: str  # company | team | person
    team: int  # the owning team (or the person's team); -1 for the company
    actor: str  # who writes for it
    parent: Obj | None = None
    krs: list[Kr] = field(default_factory=list)
    archived: bool = False
    children: int = 0

    @property
    def progress(self) -> float:
        return weighted_mean((kr.progress, 1.0) for kr in self.krs)


@dataclass
class Kr:
    id: UUID
    objective: Obj
    title: str
    kind: str
    start: float
    target: float
    unit: str | None
    curve: Curve
    actor: str
    current: float | None = None
    current_at: datetime | None = None

    def observe(self, value: float, effective_at: datetime) -> None:
        """Follow the domain's rule: the check-in with the latest effective_at applies."""
        if self.current_at is None or effective_at >= self.current_at:
            self.current, self.current_at = value, effective_at

    @property
    def progress(self) -> float:
        return kr_progress(self.start, self.target, self.current)


@dataclass
class Simulation:
    """Everything the steps of the generator share."""

    app: OkrApplication
    rng: random.Random
    scale: Scale
    agenda: Agenda
    quarters: list[Quarter]
    company: TeamRef | None = None
    executives: list[PersonRef] = field(default_factory=list)
    teams: list[TeamRef] = field(default_factory=list)
    objectives: list[Obj] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    stats: Counter[str] = field(default_factory=Counter)
    examples: dict[str, Any] = field(default_factory=dict)
    now: datetime | None = None

    @property
    def people(self) -> list[PersonRef]:
        return [*self.executives, *(p for t in self.teams for p in t.members)]

    def live(self, quarter: Quarter, level: str | None = None, team: int | None = None,
             ) -> list[Obj]:
        """Active objectives of an open quarter, optionally of one level and team."""
        if quarter.key in self.closed:
            return []
        return [
            o for o in self.objectives
            if o.quarter == quarter and not o.archived
            and (level is None or o.level == level) and (team is None or o.team == team)
        ]

    def is_open(self, quarter: Quarter) -> bool:
        return quarter.key not in self.closed

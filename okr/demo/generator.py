"""Fill an empty store with an organisation and several quarters of history.

The history is simulated on an agenda of actions in time order; a `SimulatedClock` is
advanced to each action's time, and a loading session (eventstore/txtime.py) has the store record
every event at that historical `recorded_at`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from domain.application import OkrApplication
from domain.clock import clock_installed, system_clock
from eventstore.txtime import loading
from okr.demo import catalog, changes
from okr.demo.clock import SimulatedClock
from okr.demo.planning import create_objective, found_organisation, open_cycle
from okr.demo.timeline import Agenda, Quarter, at, quarter_of, quarters_until
from okr.demo.world import SCALES, Obj, Scale, Simulation

ProgressCallback = Callable[[float, str], None]  # (share of the timeline done, cycle key)
CHANGES = (
    changes.retitle_objective, changes.retarget_key_result, changes.retarget_key_result,
    changes.reassign_objective, changes.reassign_key_result, changes.realign_objective,
    changes.archive_objective,
)


class StoreNotEmpty(RuntimeError):
    """The demo only writes into an empty event store."""


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    scale: Scale
    teams: int
    people: int
    cycles: list[str]
    closed_cycles: list[str]
    current_cycle: str
    objectives: int
    key_results: int
    check_ins: int
    events: int
    first_recorded_at: datetime
    last_recorded_at: datetime
    variety: dict[str, int] = field(default_factory=dict)
    examples: dict[str, Any] = field(default_factory=dict)


def resolve_scale(scale: str | Scale) -> Scale:
    if isinstance(scale, Scale):
        return scale
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return SCALES[scale]


def generate(
    app: OkrApplication, *, seed: int = 7, scale: str | Scale = "demo",
    progress: ProgressCallback | None = None, now: datetime | None = None,
) -> DemoSummary:
    """Record an organisation and `scale.quarters` quarters of OKR history into `app`.

    `now` (default: the real time) ends the history: the quarter holding it is the current,
    open one. The same seed and `now` give the same history.
    """
    size = resolve_scale(scale)
    if app.recorder.max_notification_id():
        raise StoreNotEmpty("the event store is not empty; okr demo fills an empty store only")
    horizon = min(now or system_clock(), system_clock()) - timedelta(minutes=5)
    quarters = quarters_until(horizon.date(), size.quarters)
    origin = at(quarters[0].starts_on - timedelta(days=21), 9)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    sim = Simulation(app, rng, size, Agenda(horizon), quarters)
    sim.agenda.plan(origin, partial(found_organisation, sim))
    for index, quarter in enumerate(quarters):
        following = quarters[index + 1] if index + 1 < len(quarters) else None
        _plan_quarter(sim, quarter, following)
    middle = quarters[len(quarters) // 2]
    sim.agenda.plan(middle.start + timedelta(days=40, hours=11),
                    partial(changes.move_person, sim, middle))
    clock = SimulatedClock(origin)
    span = (horizon - origin).total_seconds()

    def before_each(when: datetime) -> None:
        clock.advance_to(when)
        sim.now = when
        if progress is not None:
            progress(min(1.0, (when - origin).total_seconds() / span), quarter_of(when.date()).key)

    # A loading session: the store records each event at its simulated time.
    with loading(app), clock_installed(clock):
        sim.agenda.run(before_each)
    if progress is not None:
        progress(1.0, quarters[-1].key)
    return _summary(sim, seed, size, origin, clock.last or origin)


def _plan_quarter(sim: Simulation, quarter: Quarter, following: Quarter | None) -> None:
    rng, plan, day = sim.rng, sim.agenda.plan, timedelta(days=1)
    plan(at(quarter.starts_on - 14 * day, 10), partial(open_cycle, sim, quarter))
    plan(at(quarter.starts_on - 10 * day, 14), partial(_company_objectives, sim, quarter))
    for team in range(sim.scale.teams):
        when = at(quarter.starts_on - 7 * day, 9) + timedelta(hours=rng.uniform(0, 72))
        plan(when, partial(_team_objectives, sim, quarter, team))
        when = at(quarter.starts_on - 2 * day, 9) + timedelta(hours=rng.uniform(0, 96))
        plan(when, partial(_person_objectives, sim, quarter, team))
    repeats = max(1, sim.scale.teams * sim.scale.objectives_per_team // 6)
    for step in CHANGES * repeats:
        plan(quarter.start + timedelta(days=rng.uniform(14, 50)), partial(step, sim, quarter))
    if following is None:
        return  # the current quarter stays open
    plan(at(quarter.ends_on - day, 15), partial(changes.grade_by_hand, sim, quarter))
    plan(at(quarter.ends_on + 2 * day, 16), partial(changes.close_quarter, sim, quarter))
    plan(at(quarter.ends_on + 3 * day, 10), partial(changes.carry_over, sim, quarter, following))


def _company_objectives(sim: Simulation, quarter: Quarter) -> None:
    assert sim.company is not None
    count = min(sim.scale.company_objectives, len(catalog.COMPANY_OBJECTIVES))
    for index, template in enumerate(sim.rng.sample(catalog.COMPANY_OBJECTIVES, count)):
        executive = sim.executives[index % len(sim.executives)]
        create_objective(sim, quarter, template, level="company", team=-1,
                         owner=sim.company.owner, actor=executive.actor, parent=None,
                         when=_now(sim))


def _team_objectives(sim: Simulation, quarter: Quarter, team: int) -> None:
    ref = sim.teams[team]
    templates = catalog.TEAM_OBJECTIVES.get(ref.name, ())
    chosen = list(sim.rng.sample(templates, min(len(templates), sim.scale.objectives_per_team)))
    for extra in range(sim.scale.objectives_per_team - len(chosen)):
        generic = catalog.GENERIC_TEAM_OBJECTIVE
        chosen.append(catalog.ObjectiveTemplate(f"{generic.title} ({extra + 1})",
                                                generic.key_results))
    for template in chosen:
        bottom_up = sim.rng.random() < 0.2
        parents = sim.live(quarter, "company")
        parent = None if bottom_up or not parents else sim.rng.choice(parents)
        objective = create_objective(sim, quarter, template, level="team", team=team,
                                     owner=ref.owner, actor=ref.lead.actor, parent=parent,
                                     when=_now(sim))
        if objective is not None and parent is None:
            _align_later(sim, objective, "company", days=(10, 20))


def _person_objectives(sim: Simulation, quarter: Quarter, team: int) -> None:
    members = sim.teams[team].members
    count = min(len(members), sim.scale.person_objectives_per_team)
    for person in sim.rng.sample(members, count):
        bottom_up = sim.rng.random() < 0.3
        parents = sim.live(quarter, "team", team)
        parent = None if bottom_up or not parents else sim.rng.choice(parents)
        objective = create_objective(
            sim, quarter, sim.rng.choice(catalog.PERSON_OBJECTIVES), level="person",
            team=team, owner=person.owner, actor=person.actor, parent=parent, when=_now(sim),
        )
        if objective is not None and parent is None:
            _align_later(sim, objective, "team", days=(7, 21))


def _align_later(sim: Simulation, objective: Obj, level: str, days: tuple[int, int]) -> None:
    """Bottom-up: created on its own, aligned once the owner found where it fits."""
    sim.stats["bottom_up"] += 1

    def action() -> None:
        team = None if level == "company" else objective.team
        parents = sim.live(objective.quarter, level, team)
        if parents:
            changes.align(sim, objective, sim.rng.choice(parents),
                          "Bottom-up objective aligned after the planning review.")

    sim.agenda.plan(_now(sim) + timedelta(days=sim.rng.uniform(*days)), action)


def _now(sim: Simulation) -> datetime:
    assert sim.now is not None, "only called from actions on the agenda"
    return sim.now


def _summary(
    sim: Simulation, seed: int, size: Scale, first: datetime, last: datetime
) -> DemoSummary:
    stats = sim.stats
    keys = [q.key for q in sim.quarters]
    variety = {k: v for k, v in sorted(stats.items()) if k not in {
        "people", "cycles", "objectives", "key_results", "check_ins"}}
    return DemoSummary(
        seed=seed, scale=size, teams=1 + len(sim.teams), people=stats["people"],
        cycles=keys, closed_cycles=[k for k in keys if k in sim.closed], current_cycle=keys[-1],
        objectives=stats["objectives"], key_results=stats["key_results"],
        check_ins=stats["check_ins"], events=sim.app.recorder.max_notification_id() or 0,
        first_recorded_at=first, last_recorded_at=last, variety=variety,
        examples=dict(sim.examples),
    )

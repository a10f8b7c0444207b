"""Building the organisation and its plans: teams, people, objectives, KRs, check-ins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from okr.demo import catalog
from okr.demo.catalog import KrTemplate, ObjectiveTemplate
from okr.demo.curves import confidence_for, draw_curve, note_for, value_for
from okr.demo.timeline import Quarter, at
from okr.demo.world import ADMIN, Kr, Obj, PersonRef, Simulation, TeamRef


def found_organisation(sim: Simulation) -> None:
    """The company team, its executives, the teams under it and their people."""
    app, rng = sim.app, sim.rng
    company_id = UUID(app.create_team(name=catalog.COMPANY_NAME, parent_id=None, actor=ADMIN).id)
    sim.company = TeamRef(company_id, catalog.COMPANY_NAME)
    for name in catalog.EXECUTIVES:
        sim.executives.append(_register(sim, name, company_id, -1))
    names = _unique_names(sim, sim.scale.teams * sim.scale.people_per_team)
    for index in range(sim.scale.teams):
        base = catalog.TEAM_NAMES[index % len(catalog.TEAM_NAMES)]
        name = base if index < len(catalog.TEAM_NAMES) else f"{base} {index // 10 + 1}"
        team_id = UUID(app.create_team(name=name, parent_id=company_id, actor=ADMIN).id)
        team = TeamRef(team_id, name)
        sim.teams.append(team)
        for _ in range(sim.scale.people_per_team):
            team.members.append(_register(sim, names.pop(), team_id, index))
    rng.shuffle(sim.executives)  # who leads which company objective varies with the seed


def _register(sim: Simulation, name: str, team_id: UUID, team: int) -> PersonRef:
    local = name.lower().replace(" ", ".")
    email = f"{local.encode('ascii', 'ignore').decode()}@{catalog.EMAIL_DOMAIN}"
    person_id = sim.app.register_person(name=name, email=email, team_id=team_id, actor=ADMIN).id
    sim.stats["people"] += 1
    return PersonRef(UUID(person_id), name, team)


def _unique_names(sim: Simulation, count: int) -> list[str]:
    pairs = [(f, last) for f in catalog.FIRST_NAMES for last in catalog.LAST_NAMES]
    chosen = sim.rng.sample(pairs, min(count, len(pairs)))
    names = [f"{first} {last}" for first, last in chosen]
    names += [f"{names[i % len(names)]} {i // len(names) + 2}" for i in range(count - len(names))]
    return names


def open_cycle(sim: Simulation, quarter: Quarter) -> None:
    sim.app.create_cycle(key=quarter.key, starts_on=quarter.starts_on,
                         ends_on=quarter.ends_on, actor=ADMIN)
    sim.stats["cycles"] += 1


def create_objective(
    sim: Simulation, quarter: Quarter, template: ObjectiveTemplate, *, level: str, team: int,
    owner: dict[str, str], actor: str, parent: Obj | None, when: datetime,
) -> Obj | None:
    """Create an objective with 3-5 KRs (fewer when the template has fewer)."""
    if not sim.is_open(quarter) or (parent is not None and parent.archived):
        return None
    result = sim.app.create_objective(
        cycle=quarter.key, title=template.title, description=None, owner=owner,
        parent_id=None if parent is None else parent.id, actor=actor,
    )
    objective = Obj(UUID(result.id), quarter, template.title, level, team, actor, parent)
    if parent is not None:
        parent.children += 1
    sim.objectives.append(objective)
    sim.stats["objectives"] += 1
    low, high = sim.scale.key_results
    count = min(sim.rng.randint(low, high), len(template.key_results))
    for kr_template in template.key_results[:count]:
        add_key_result(sim, objective, kr_template, when)
    return objective


def add_key_result(sim: Simulation, objective: Obj, template: KrTemplate, when: datetime) -> Kr:
    title, kind, start, target, unit = template
    actor = objective.actor
    owner = None
    if objective.level != "person" and sim.rng.random() < 0.7:
        members = sim.teams[objective.team].members if objective.team >= 0 else sim.executives
        person = sim.rng.choice(members)
        owner, actor = person.owner, person.actor
    result = sim.app.add_key_result(
        objective.id, title=title, kind=kind, start=start, target=target, unit=unit,
        owner=owner, actor=objective.actor,
    )
    kr = Kr(UUID(result.id), objective, title, kind, float(start), float(target), unit,
            draw_curve(sim.rng), actor)
    objective.krs.append(kr)
    sim.stats["key_results"] += 1
    plan_check_ins(sim, kr, after=when)
    return kr


def plan_check_ins(sim: Simulation, kr: Kr, *, after: datetime) -> None:
    """One check-in per week (some skipped, some late); stale KRs fall silent early."""
    quarter, rng = kr.objective.quarter, sim.rng
    span = (quarter.end - quarter.start).total_seconds()
    for friday in quarter.fridays():
        fraction = (friday - quarter.start).total_seconds() / span
        if friday <= after or fraction > kr.curve.stale_after or rng.random() < 0.08:
            continue
        late = rng.random() < 0.15  # checked in on Monday, true as of Friday evening
        when = friday + timedelta(hours=8 + rng.uniform(0, 9), days=3 if late else 0)
        effective = friday + timedelta(hours=17) if late else when
        sim.agenda.plan(when, _check_in_action(sim, kr, fraction, effective, late=late))


def _check_in_action(
    sim: Simulation, kr: Kr, fraction: float, effective: datetime, *, late: bool
) -> Callable[[], None]:
    def action() -> None:
        if kr.objective.archived or not sim.is_open(kr.objective.quarter):
            return
        value = value_for(kr.kind, kr.start, kr.target, kr.curve.progress_at(fraction, sim.rng))
        sim.app.check_in(
            kr.id, value=value, confidence=confidence_for(kr.curve.profile, sim.rng),
            note=note_for(kr.curve.profile, sim.rng), effective_at=effective, actor=kr.actor,
            channel="cli",
        )
        kr.observe(value, effective)
        sim.stats["check_ins"] += 1
        sim.stats["late_check_ins"] += late
        if kr.kind != "binary" and sim.rng.random() < 0.05:
            _plan_correction(sim, kr, value, effective)

    return action


def _plan_correction(sim: Simulation, kr: Kr, value: float, effective: datetime) -> None:
    """A value found wrong later: recorded days after, effective at the original time."""
    corrected = value_for(
        kr.kind, kr.start, kr.target,
        max(0.0, kr_fraction(kr, value) + sim.rng.choice((-1, 1)) * sim.rng.uniform(0.03, 0.08)),
    )
    if corrected == value:
        return
    later = effective.date() + timedelta(days=sim.rng.randint(2, 6))
    when = at(later, 9) + timedelta(hours=sim.rng.uniform(0, 8))  # found during office hours

    def action() -> None:
        if kr.objective.archived or not sim.is_open(kr.objective.quarter):
            return
        sim.app.check_in(
            kr.id, value=corrected, confidence=None, effective_at=effective, actor=kr.actor,
            channel="cli",
            note=f"Correction: the figure reported for {effective:%d %b} was {value:g}; "
                 "reconciled with the source system.",
        )
        kr.observe(corrected, effective)
        sim.stats["check_ins"] += 1
        sim.stats["corrections"] += 1
        sim.examples.setdefault("corrected_key_result", (str(kr.id), effective, when))

    sim.agenda.plan(when, action)


def kr_fraction(kr: Kr, value: float) -> float:
    return (value - kr.start) / (kr.target - kr.start)

"""What happens to plans during and after a quarter: edits, reassignments, realignments,
archiving, a team move, hand grading, closing and carrying unfinished objectives over."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from uuid import UUID

from okr.demo.planning import add_key_result
from okr.demo.timeline import Quarter
from okr.demo.world import ADMIN, Obj, Simulation

FOCUS = ("for mid-market accounts", "in EMEA", "for self-serve customers", "before the launch",
         "with the new pricing")
RETARGET_REASONS = {
    True: ("Ahead of plan after the first month: raising the bar.",
           "The new partnership makes a higher target realistic."),
    False: ("Hiring freeze: target lowered to what the team can staff.",
            "Dependency slipped a month; target reset with the exec team."),
}


def retitle_objective(sim: Simulation, quarter: Quarter) -> None:
    candidates = sim.live(quarter, "team")
    if candidates:
        objective = sim.rng.choice(candidates)
        objective.title = f"{objective.title} {sim.rng.choice(FOCUS)}"[:200]
        sim.app.edit_objective(objective.id, title=objective.title, actor=objective.actor,
                               reason="Sharper wording after the mid-quarter review.")
        sim.stats["retitles"] += 1


def retarget_key_result(sim: Simulation, quarter: Quarter) -> None:
    krs = [kr for o in sim.live(quarter) for kr in o.krs if kr.kind != "binary"]
    if not krs:
        return
    kr = sim.rng.choice(krs)
    raise_bar = sim.rng.random() < 0.4
    factor = sim.rng.uniform(1.1, 1.3) if raise_bar else sim.rng.uniform(0.7, 0.9)
    target = kr.start + (kr.target - kr.start) * factor
    target = float(round(target)) if abs(kr.target - kr.start) >= 20 else round(target, 2)
    if target in (kr.start, kr.target):
        return
    sim.app.edit_key_result(kr.id, target=target, actor=kr.objective.actor,
                            reason=sim.rng.choice(RETARGET_REASONS[raise_bar]))
    kr.target = target
    sim.stats["retargets"] += 1


def reassign_objective(sim: Simulation, quarter: Quarter) -> None:
    """A person objective handed to a teammate, e.g. before parental leave."""
    candidates = sim.live(quarter, "person")
    if not candidates:
        return
    objective = sim.rng.choice(candidates)
    teammates = [p for p in sim.teams[objective.team].members if p.actor != objective.actor]
    if not teammates:
        return
    successor = sim.rng.choice(teammates)
    sim.app.reassign_objective(objective.id, owner=successor.owner, actor=objective.actor,
                               reason=f"Handed over to {successor.name} before parental leave.")
    for kr in objective.krs:
        kr.actor = successor.actor if kr.actor == objective.actor else kr.actor
    objective.actor = successor.actor
    sim.stats["reassignments"] += 1
    sim.examples.setdefault("reassigned_objective", str(objective.id))


def reassign_key_result(sim: Simulation, quarter: Quarter) -> None:
    krs = [kr for o in sim.live(quarter, "team") for kr in o.krs]
    if not krs:
        return
    kr = sim.rng.choice(krs)
    person = sim.rng.choice(sim.teams[kr.objective.team].members)
    sim.app.reassign_key_result(kr.id, owner=person.owner, actor=kr.objective.actor,
                                reason=f"{person.name} owns this metric from now on.")
    kr.actor = person.actor
    sim.stats["key_result_reassignments"] += 1


def realign_objective(sim: Simulation, quarter: Quarter) -> None:
    """A team objective moved under another company objective after a strategy change."""
    parents = sim.live(quarter, "company")
    movable = [o for o in sim.live(quarter, "team") if o.parent is not None]
    if len(parents) < 2 or not movable:
        return
    objective = sim.rng.choice(movable)
    parent = sim.rng.choice([p for p in parents if p is not objective.parent])
    align(sim, objective, parent, "Moved under a different company objective after the "
                                  "strategy offsite.")


def align(sim: Simulation, objective: Obj, parent: Obj, reason: str) -> None:
    if objective.archived or parent.archived or not sim.is_open(objective.quarter):
        return
    sim.app.realign_objective(objective.id, parent_id=parent.id, actor=objective.actor,
                              reason=reason)
    if objective.parent is not None:
        objective.parent.children -= 1
    objective.parent, parent.children = parent, parent.children + 1
    sim.stats["realignments"] += 1
    sim.examples.setdefault("realigned_objective", str(objective.id))


def archive_objective(sim: Simulation, quarter: Quarter) -> None:
    leaves = [o for o in sim.live(quarter) if o.level != "company" and o.children == 0]
    if leaves:
        objective = sim.rng.choice(leaves)
        sim.app.archive_objective(objective.id, actor=objective.actor,
                                  reason="Deprioritised after the pricing change.")
        objective.archived = True
        if objective.parent is not None:
            objective.parent.children -= 1
        sim.stats["archived"] += 1


def move_person(sim: Simulation, quarter: Quarter) -> None:
    """Someone changes team; their objective follows them under the new team's plan."""
    if len(sim.teams) < 2:
        return
    source, target = sim.rng.sample(range(len(sim.teams)), 2)
    person = sim.rng.choice(sim.teams[source].members[1:])  # leads stay
    sim.app.move_person(person.id, team_id=sim.teams[target].id, actor=ADMIN,
                        reason=f"Internal move to {sim.teams[target].name}.")
    sim.teams[source].members.remove(person)
    sim.teams[target].members.append(person)
    person.team = target
    sim.stats["moves"] += 1
    new_parents = sim.live(quarter, "team", target)
    for objective in sim.live(quarter, "person"):
        if objective.actor == person.actor:
            objective.team = target
            if new_parents:
                align(sim, objective, sim.rng.choice(new_parents),
                      f"{person.name} moved to {sim.teams[target].name}.")


def grade_by_hand(sim: Simulation, quarter: Quarter) -> None:
    """Before close, owners grade some KRs themselves (binary launches, judgement calls)."""
    for objective in sim.live(quarter):
        for kr in objective.krs:
            if sim.rng.random() < (0.5 if kr.kind == "binary" else 0.1):
                score = round(min(1.0, max(0.0, kr.progress + sim.rng.uniform(-0.1, 0.25))), 2)
                sim.app.grade_key_result(
                    kr.id, score=score, actor=objective.actor,
                    note="Graded by hand: the outcome matters more than the metric.",
                )
                sim.stats["hand_grades"] += 1


def close_quarter(sim: Simulation, quarter: Quarter) -> None:
    sim.app.close_cycle(quarter.key, actor=ADMIN)
    sim.closed.add(quarter.key)
    sim.stats["closed_cycles"] += 1


def carry_over(sim: Simulation, quarter: Quarter, following: Quarter) -> None:
    """Unfinished objectives continue next quarter with their unfinished KRs."""
    finished = {o.id for o in sim.objectives if o.quarter == following}
    for objective in [o for o in sim.objectives if o.quarter == quarter and not o.archived]:
        if objective.level == "company" or objective.progress >= 0.6 or objective.id in finished:
            continue
        if sim.rng.random() < 0.4:
            continue
        result = sim.app.carry_over(objective.id, cycle=following.key, actor=objective.actor,
                                    reason=f"Unfinished in {quarter.key}; still matters.")
        clone = Obj(
            id=UUID(result.id), quarter=following, title=objective.title,
            level=objective.level, team=objective.team, actor=objective.actor,
        )
        sim.objectives.append(clone)
        sim.stats["objectives"] += 1
        sim.stats["carry_overs"] += 1
        when = sim.now or following.start
        for kr in [k for k in objective.krs if k.progress < 1.0]:
            start = kr.start if kr.current is None or kr.kind == "binary" else kr.current
            if start != kr.target:
                add_key_result(sim, clone, (kr.title, kr.kind, start, kr.target, kr.unit), when)
        sim.agenda.plan(when + timedelta(days=sim.rng.uniform(2, 6)),
                        partial(_align_carried, sim, clone))


def _align_carried(sim: Simulation, objective: Obj) -> None:
    level = "company" if objective.level == "team" else "team"
    parents = sim.live(objective.quarter, level, None if level == "company" else objective.team)
    if parents:
        align(sim, objective, sim.rng.choice(parents), "Aligned to this quarter's plan.")


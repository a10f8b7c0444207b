"""Alignment is a forest per cycle, and archived objectives refuse changes.

Refusals record nothing, in both stores.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from domain.alignment import is_forest
from domain.cycle import Cycle
from domain.errors import AlignmentLoop, DomainError, ObjectiveArchived
from domain.objective import Objective
from tests.support.world import (
    World,
    aggregate_states,
    assert_refused,
    log_length,
    recorded_events,
)


def realign(w: World, child: UUID, parent: UUID | None) -> object:
    return w.app.realign_objective(child, parent_id=parent, actor="a")


def test_parent_under_its_own_child_is_an_alignment_loop_and_records_nothing(
    world: World,
) -> None:
    assert_refused(world.app, lambda: realign(world, world.goal, world.sub), AlignmentLoop)


def test_root_under_its_grandchild_is_an_alignment_loop_and_records_nothing(
    world: World,
) -> None:
    grandchild = world.objective(parent_id=world.sub)
    assert_refused(world.app, lambda: realign(world, world.goal, grandchild), AlignmentLoop)
    assert is_forest(world.app.cycle(world.cycle).parents)


def test_objective_as_its_own_parent_is_an_alignment_loop_and_records_nothing(
    world: World,
) -> None:
    assert_refused(world.app, lambda: realign(world, world.side, world.side), AlignmentLoop)


def test_objective_as_its_own_parent_is_refused_whatever_the_error_and_records_nothing(
    world: World,
) -> None:
    before, states = log_length(world.app), aggregate_states(world.app)
    with pytest.raises(DomainError):
        realign(world, world.side, world.side)
    assert (log_length(world.app), aggregate_states(world.app)) == (before, states)


def test_valid_realignment_moves_the_objective_and_the_cycle_plan_together(
    world: World,
) -> None:
    before = log_length(world.app)
    answer = world.app.realign_objective(world.side, parent_id=world.sub, reason="focus",
                                         actor="a")
    events = recorded_events(world.app, after=before)
    assert [type(e) for e in events] == [
        Objective.Realigned, Cycle.PlanEntryRecorded]
    assert answer.id == str(world.side) and answer.position == log_length(world.app)
    assert world.app.load(Objective, world.side).parent_id == world.sub
    assert world.app.cycle(world.cycle).parents[str(world.side)] == str(world.sub)


def test_detaching_to_root_then_reversing_the_link_is_allowed(world: World) -> None:
    realign(world, world.sub, None)
    realign(world, world.goal, world.sub)
    parents = world.app.cycle(world.cycle).parents
    assert parents[str(world.goal)] == str(world.sub) and parents[str(world.sub)] is None
    assert is_forest(parents)


def test_realign_under_an_archived_parent_is_refused_and_records_nothing(world: World) -> None:
    world.app.archive_objective(world.side, actor="a")
    assert_refused(world.app, lambda: realign(world, world.sub, world.side), ObjectiveArchived)


def test_new_objective_under_an_archived_parent_is_refused_and_records_nothing(
    world: World,
) -> None:
    world.app.archive_objective(world.side, actor="a")
    assert_refused(world.app, lambda: world.objective(parent_id=world.side), ObjectiveArchived)


ON_ARCHIVED: dict[str, Callable[[World], object]] = {
    "edit": lambda w: w.app.edit_objective(w.sub, title="T", actor="a"),
    "reassign": lambda w: w.app.reassign_objective(w.sub, owner=w.person_owner(), actor="a"),
    "realign to root": lambda w: realign(w, w.sub, None),
    "realign under another": lambda w: realign(w, w.sub, w.side),
    "archive again": lambda w: w.app.archive_objective(w.sub, actor="a"),
    "add key result": lambda w: w.app.add_key_result(w.sub, title="T", kind="binary",
                                                     actor="a"),
}


@pytest.mark.parametrize("case", sorted(ON_ARCHIVED))
def test_archived_objective_refuses_changes_and_records_nothing(
    world: World, case: str
) -> None:
    world.app.archive_objective(world.sub, reason="dropped", actor="a")
    assert_refused(world.app, lambda: ON_ARCHIVED[case](world), ObjectiveArchived)


ON_KR_OF_ARCHIVED: dict[str, Callable[[World], object]] = {
    "check in": lambda w: w.app.check_in(w.kr, value=5, channel="api", actor="a"),
    "edit key result": lambda w: w.app.edit_key_result(w.kr, title="T", actor="a"),
    "retarget key result": lambda w: w.app.edit_key_result(w.kr, target=50, actor="a"),
    "reassign key result": lambda w: w.app.reassign_key_result(
        w.kr, owner=w.person_owner(), actor="a"),
    "grade key result": lambda w: w.app.grade_key_result(w.kr, score=0.5, actor="a"),
}


@pytest.mark.parametrize("case", sorted(ON_KR_OF_ARCHIVED))
def test_key_results_of_an_archived_objective_refuse_every_change_and_record_nothing(
    world: World, case: str
) -> None:
    world.app.archive_objective(world.goal, reason="dropped", actor="a")
    assert_refused(world.app, lambda: ON_KR_OF_ARCHIVED[case](world), ObjectiveArchived)


def test_archiving_marks_the_objective_and_retires_it_from_the_plan(world: World) -> None:
    world.app.archive_objective(world.sub, reason="dropped", actor="a")
    plan = world.app.cycle(world.cycle).plan[str(world.sub)]
    assert world.app.load(Objective, world.sub).status == "archived"
    assert plan == {"parent_id": str(world.goal), "owner": world.team_owner(), "active": False}


def test_archived_objective_can_be_carried_over_into_another_cycle(world: World) -> None:
    world.app.archive_objective(world.sub, actor="a")
    new_id = UUID(world.app.carry_over(world.sub, cycle=world.next_cycle, actor="a").id)
    assert world.app.load(Objective, new_id).status == "active"


def test_cycle_id_is_derived_from_its_key(world: World) -> None:
    assert world.app.cycle(world.cycle).id == Cycle.create_id("2026-Q4")

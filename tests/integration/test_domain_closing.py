"""Closing a cycle: every KR is graded (score = progress unless graded by hand), objectives get
the weighted mean, and afterwards every command on the cycle's objectives and KRs is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from domain.cycle import Cycle
from domain.errors import CycleClosed, InvalidInput
from domain.key_result import KeyResult
from domain.objective import Objective
from tests.support.world import (
    World,
    assert_refused,
    log_length,
    recorded_events,
)


@pytest.fixture
def closed(world: World) -> World:
    world.close()
    return world


AFTER_CLOSE: dict[str, Callable[[World], object]] = {
    "edit objective": lambda w: w.app.edit_objective(w.goal, title="T", actor="a"),
    "reassign objective": lambda w: w.app.reassign_objective(
        w.goal, owner=w.person_owner(), actor="a"),
    "realign objective to root": lambda w: w.app.realign_objective(
        w.sub, parent_id=None, actor="a"),
    "realign objective under another": lambda w: w.app.realign_objective(
        w.side, parent_id=w.goal, actor="a"),
    "archive objective": lambda w: w.app.archive_objective(w.side, actor="a"),
    "add key result": lambda w: w.app.add_key_result(w.goal, title="T", kind="binary",
                                                     actor="a"),
    "check in": lambda w: w.app.check_in(w.kr, value=50, channel="api", actor="a"),
    "grade key result": lambda w: w.app.grade_key_result(w.kr, score=0.9, actor="a"),
    "edit key result": lambda w: w.app.edit_key_result(w.kr, target=50, actor="a"),
    "reassign key result": lambda w: w.app.reassign_key_result(
        w.kr, owner=w.person_owner(), actor="a"),
    "create objective in the closed cycle": lambda w: w.objective(),
    "carry over into the closed cycle": lambda w: w.app.carry_over(
        w.later, cycle=w.cycle, actor="a"),
    "close the cycle twice": lambda w: w.app.close_cycle(w.cycle, actor="a"),
}


@pytest.mark.parametrize("case", sorted(AFTER_CLOSE))
def test_command_on_a_closed_cycle_is_refused_and_records_nothing(
    closed: World, case: str
) -> None:
    assert_refused(closed.app, lambda: AFTER_CLOSE[case](closed), CycleClosed)


def test_closing_grades_every_key_result_with_its_progress(world: World) -> None:
    app = world.app
    app.check_in(world.kr, value=40, channel="api", actor="a")
    answer = app.close_cycle(world.cycle, actor="admin")
    assert answer.extra["graded_key_results"] == 2
    assert app.cycle(world.cycle).status == "closed"
    assert app.load(KeyResult, world.kr).score == 0.4
    assert app.load(KeyResult, world.flag).score == 0.0  # never checked in: progress 0
    # Equal weights: (0.4 + 0.0) / 2.
    assert app.load(Objective, world.goal).score == pytest.approx(0.2)


def test_hand_grade_survives_the_close_and_objective_score_is_the_weighted_mean(
    world: World,
) -> None:
    app = world.app
    share = UUID(app.add_key_result(world.goal, title="Share", kind="percentage", weight=3,
                                    actor="a").id)
    app.check_in(world.kr, value=50, channel="api", actor="a")  # progress 0.5, weight 1
    app.check_in(world.flag, value=1, channel="api", actor="a")  # progress 1.0, weight 1
    app.check_in(share, value=90, channel="api", actor="a")  # progress 0.9 ...
    app.grade_key_result(share, score=0.2, note="we cheated", actor="a")  # ... graded 0.2
    app.close_cycle(world.cycle, actor="admin")
    scores = [app.load(KeyResult, k).score for k in (world.kr, world.flag, share)]
    assert scores == [0.5, 1.0, 0.2]
    assert app.load(Objective, world.goal).score == pytest.approx((0.5 + 1.0 + 0.2 * 3) / 5)


def test_hand_grade_of_zero_is_kept_at_close(world: World) -> None:
    world.app.check_in(world.kr, value=100, channel="api", actor="a")
    world.app.grade_key_result(world.kr, score=0, actor="a")
    world.close()
    assert world.app.load(KeyResult, world.kr).score == 0.0


def test_objective_without_key_results_scores_zero_at_close(world: World) -> None:
    world.close()
    for oid in (world.sub, world.side):
        loaded = world.app.load(Objective, oid)
        assert (loaded.score, loaded.closed) == (0.0, True)


def test_close_records_the_cycle_every_objective_and_every_key_result_in_one_go(
    world: World,
) -> None:
    world.app.archive_objective(world.side, actor="a")
    before = log_length(world.app)
    answer = world.app.close_cycle(world.cycle, actor="closer")
    events = recorded_events(world.app, after=before)
    closed_ids = {e.originator_id for e in events if type(e).__name__ == "Closed"}
    expected = {Cycle.create_id(world.cycle), world.goal, world.sub, world.side, world.kr,
                world.flag}
    assert {UUID(str(i)) for i in closed_ids} == expected
    assert answer.position == log_length(world.app) == before + len(expected)
    assert {e.actor for e in events} == {"closer"}


def test_closing_one_cycle_leaves_the_other_open(closed: World) -> None:
    closed.app.edit_objective(closed.later, title="Still open", actor="a")
    assert closed.app.cycle(closed.next_cycle).status == "open"
    assert closed.app.load(Objective, closed.later).title == "Still open"


def test_grade_by_hand_is_recorded_before_close_and_may_be_changed(world: World) -> None:
    world.app.grade_key_result(world.kr, score=0.3, actor="a")
    world.app.grade_key_result(world.kr, score=0.7, actor="a")
    assert_refused(world.app, lambda: world.app.grade_key_result(
        world.kr, score=1.01, actor="a"), InvalidInput)
    world.close()
    assert world.app.load(KeyResult, world.kr).score == 0.7

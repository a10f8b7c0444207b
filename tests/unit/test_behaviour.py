"""What the domain does when commands succeed (in-memory store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain import clock
from domain.application import OkrApplication
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person
from tests.support.scenario import build_org


def events_of(app: OkrApplication, entity_id: UUID) -> list[Any]:
    return list(app.events.get(entity_id))


def test_check_in_answers_with_progress(memory_app: OkrApplication) -> None:
    org = build_org(memory_app)
    answer = memory_app.check_in(org.key_result, value=25, confidence=0.8, actor="ann")
    assert answer.extra["progress"] == pytest.approx(0.25)
    assert answer.version == 2


def test_decreasing_numeric_key_result_progresses_as_value_falls(
    memory_app: OkrApplication,
) -> None:
    org = build_org(memory_app)
    kr = UUID(memory_app.add_key_result(org.objective, title="Churn", kind="numeric", start=10,
                                        target=2, actor="a").id)
    assert memory_app.check_in(kr, value=4, actor="a").extra["progress"] == pytest.approx(0.75)


def test_percentage_and_binary_key_results_take_their_default_ranges(
    memory_app: OkrApplication,
) -> None:
    org = build_org(memory_app)
    pct = memory_app.add_key_result(org.objective, title="P", kind="percentage", actor="a")
    binary = memory_app.add_key_result(org.objective, title="B", kind="binary", actor="a")
    assert memory_app.load(KeyResult, UUID(pct.id)).target == 100
    assert memory_app.check_in(UUID(binary.id), value=1, actor="a").extra["progress"] == 1.0


def test_back_dated_check_in_counts_but_does_not_replace_the_current_value(
    memory_app: OkrApplication,
) -> None:
    org = build_org(memory_app)
    memory_app.check_in(org.key_result, value=50, actor="a")
    memory_app.check_in(org.key_result, value=10, actor="a",
                        effective_at=datetime.now(UTC) - timedelta(days=7))
    kr = memory_app.load(KeyResult, org.key_result)
    assert (kr.current, kr.check_ins) == (50, 2)


def test_tie_on_effective_at_goes_to_the_later_recorded_check_in(
    memory_app: OkrApplication,
) -> None:
    org = build_org(memory_app)
    when = datetime.now(UTC) - timedelta(days=1)
    memory_app.check_in(org.key_result, value=30, effective_at=when, actor="a")
    memory_app.check_in(org.key_result, value=40, effective_at=when, actor="a")
    assert memory_app.load(KeyResult, org.key_result).current == 40


def test_closing_grades_by_progress_unless_graded_by_hand(memory_app: OkrApplication) -> None:
    org = build_org(memory_app)
    hand = UUID(memory_app.add_key_result(org.objective, title="Hand", kind="binary", weight=3,
                                          actor="a").id)
    memory_app.check_in(org.key_result, value=40, actor="a")
    memory_app.grade_key_result(hand, score=0.8, note="close enough", actor="a")
    answer = memory_app.close_cycle(org.cycle, actor="admin")
    assert answer.extra["graded_key_results"] == 2
    assert memory_app.load(KeyResult, org.key_result).score == pytest.approx(0.4)
    assert memory_app.load(KeyResult, hand).score == pytest.approx(0.8)
    # Weighted mean: (0.4 * 1 + 0.8 * 3) / 4
    assert memory_app.load(Objective, org.objective).score == pytest.approx(0.7)
    assert memory_app.cycle(org.cycle).status == "closed"


def test_carry_over_starts_a_new_objective_in_the_next_cycle(memory_app: OkrApplication) -> None:
    org = build_org(memory_app)
    memory_app.close_cycle(org.cycle, actor="admin")
    answer = memory_app.carry_over(org.objective, cycle=org.other_cycle, reason="unfinished",
                                   actor="a")
    carried = memory_app.load(Objective, UUID(answer.id))
    assert (carried.cycle_key, carried.carried_from, carried.title) == (
        org.other_cycle, org.objective, "Grow")


def test_realignment_moves_the_objective_and_the_cycle_plan(memory_app: OkrApplication) -> None:
    org = build_org(memory_app)
    memory_app.realign_objective(org.child, parent_id=None, reason="independent", actor="a")
    assert memory_app.load(Objective, org.child).parent_id is None
    assert memory_app.cycle(org.cycle).parents[str(org.child)] is None


def test_person_moves_team(memory_app: OkrApplication) -> None:
    org = build_org(memory_app)
    other = UUID(memory_app.create_team(name="Ops", parent_id=org.team, actor="a").id)
    memory_app.move_person(org.person, team_id=other, actor="a", if_match=1)
    assert memory_app.load(Person, org.person).team_id == other


def test_owner_with_more_than_three_active_objectives_gets_a_warning_not_a_refusal(
    memory_app: OkrApplication,
) -> None:
    org = build_org(memory_app)
    answers = [
        memory_app.create_objective(cycle=org.cycle, title=f"O{i}", description=None,
                                    owner=org.owner("person"), parent_id=None, actor="a")
        for i in range(4)
    ]
    assert [bool(a.warnings) for a in answers] == [False, False, False, True]


def test_objective_with_unusual_number_of_key_results_gets_a_warning(
    memory_app: OkrApplication,
) -> None:
    org = build_org(memory_app)
    counts = [
        bool(memory_app.add_key_result(org.objective, title=f"K{i}", kind="binary",
                                       actor="a").warnings)
        for i in range(5)
    ]
    # The scenario's objective already has one KR: 2 is too few, 3 to 5 fine, 6 too many.
    assert counts == [True, False, False, False, True]


def test_every_event_records_actor_and_reason(memory_app: OkrApplication) -> None:
    org = build_org(memory_app)
    memory_app.edit_objective(org.objective, title="Grow more", reason="sharper", actor="bob")
    last = events_of(memory_app, org.objective)[-1]
    assert (last.actor, last.reason) == ("bob", "sharper")
    for notification in memory_app.recorder.select_notifications(start=1, limit=1000):
        assert memory_app.mapper.to_domain_event(notification).actor  # type: ignore[attr-defined]


def test_domain_clock_stamps_recorded_at(memory_app: OkrApplication) -> None:
    when = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    with clock.clock_installed(lambda: when):
        answer = memory_app.create_team(name="Past", parent_id=None, actor="a")
    created = events_of(memory_app, UUID(answer.id))[0]
    assert created.timestamp == when


def test_effective_at_is_judged_against_the_domain_clock(memory_app: OkrApplication) -> None:
    org = build_org(memory_app)
    past = datetime(2026, 10, 5, tzinfo=UTC)
    with clock.clock_installed(lambda: past), pytest.raises(Exception, match="future"):
        memory_app.check_in(org.key_result, value=1, effective_at=past + timedelta(days=1),
                            actor="a")

"""Every event records who caused it and why, and is stamped by the store that records it.

Events are read back from the store (`select_notifications` + the mapper), in both stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from uuid import UUID

import pytest

from domain.application import OkrApplication
from domain.clock import clock_installed
from domain.results import CommandResult
from eventstore.txtime import LoadRefused, loading
from tests.support.world import World, build_world, log_length, recorded_events

T0 = datetime(2026, 10, 15, 8, 0, tzinfo=UTC)




# Each command runs with its own actor and, where it takes one, its own reason.
COMMANDS: dict[str, Callable[[World, str, str], CommandResult]] = {
    "create team": lambda w, who, why: w.app.create_team(name="T", parent_id=w.team,
                                                         actor=who),
    "register person": lambda w, who, why: w.app.register_person(
        name="P", email="p@example.org", team_id=w.team, actor=who),
    "move person": lambda w, who, why: w.app.move_person(
        w.person, team_id=w.team, reason=why, actor=who),
    "create cycle": lambda w, who, why: w.app.create_cycle(
        key="2027-Q2", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30), actor=who),
    "create objective": lambda w, who, why: w.app.create_objective(
        cycle=w.cycle, title="T", description="d", owner=w.person_owner(),
        parent_id=w.goal, actor=who),
    "edit objective": lambda w, who, why: w.app.edit_objective(
        w.goal, title="T2", reason=why, actor=who),
    "reassign objective": lambda w, who, why: w.app.reassign_objective(
        w.goal, owner=w.person_owner(), reason=why, actor=who),
    "realign objective": lambda w, who, why: w.app.realign_objective(
        w.side, parent_id=w.goal, reason=why, actor=who),
    "archive objective": lambda w, who, why: w.app.archive_objective(
        w.sub, reason=why, actor=who),
    "add key result": lambda w, who, why: w.app.add_key_result(
        w.goal, title="K", kind="percentage", owner=w.team_owner(), actor=who),
    "edit key result": lambda w, who, why: w.app.edit_key_result(
        w.kr, target=150, reason=why, actor=who),
    "reassign key result": lambda w, who, why: w.app.reassign_key_result(
        w.kr, owner=w.person_owner(), reason=why, actor=who),
    "check in": lambda w, who, why: w.app.check_in(w.kr, value=5, note="n",
                                                   channel="api", actor=who),
    "grade key result": lambda w, who, why: w.app.grade_key_result(
        w.kr, score=0.4, note="n", actor=who),
    "close cycle": lambda w, who, why: w.app.close_cycle(w.cycle, actor=who),
}
WITH_REASON = {"move person", "edit objective", "reassign objective", "realign objective",
               "archive objective", "edit key result", "reassign key result"}


@pytest.mark.parametrize("case", sorted(COMMANDS))
def test_every_event_of_a_command_records_its_actor_and_reason(
    world: World, case: str
) -> None:
    who, why = f"actor of {case}", f"because {case}"
    before = log_length(world.app)
    answer = COMMANDS[case](world, who, why)
    events = recorded_events(world.app, after=before)
    assert events and answer.position == log_length(world.app)
    assert [e.actor for e in events] == [who] * len(events)
    subject = [e for e in events if str(e.originator_id) == answer.id]
    assert subject, "the answered entity has an event of this command"
    if case in WITH_REASON:
        assert all(e.reason == why for e in subject)
    for event in events:  # events that can carry a reason carry this one (or none at all)
        assert getattr(event, "reason", None) in ((why, None) if case in WITH_REASON else
                                                  (None,))


def test_reason_is_optional_and_recorded_as_none(world: World) -> None:
    before = log_length(world.app)
    world.app.edit_objective(world.goal, title="No reason", actor="a")
    (edited,) = recorded_events(world.app, after=before)
    assert (edited.actor, edited.reason) == ("a", None)


def test_every_event_of_the_world_records_the_actor(world: World) -> None:
    assert {e.actor for e in recorded_events(world.app)} == {"admin"}


def test_carry_over_records_its_reason(world: World) -> None:
    before = log_length(world.app)
    world.app.carry_over(world.goal, cycle=world.next_cycle, reason="unfinished", actor="a")
    events = recorded_events(world.app, after=before)
    assert "unfinished" in [getattr(e, "reason", None) for e in events]


def test_store_stamps_every_event_when_it_records_it_strictly_increasing_in_log_order(
    any_app: OkrApplication,
) -> None:
    before = datetime.now(UTC)
    world = build_world(any_app)
    world.app.check_in(world.kr, value=10, channel="api", actor="a")
    world.app.archive_objective(world.side, actor="a")
    world.close()
    after = datetime.now(UTC)
    events = recorded_events(any_app)
    kinds = {type(e).__qualname__.split(".")[0] for e in events}
    assert kinds == {"Team", "Person", "Cycle", "Objective", "KeyResult"}
    stamps = [e.timestamp for e in events]
    assert all(a < b for a, b in pairwise(stamps))
    assert before <= stamps[0] and stamps[-1] <= after
    # The aggregates in memory carry the times the store gave their events.
    goal = any_app.repository.get(world.goal)
    assert goal.modified_on == max(e.timestamp for e in events if e.originator_id == world.goal)


def test_an_installed_clock_does_not_set_recorded_at_outside_a_loading_session(
    any_app: OkrApplication,
) -> None:
    readings = iter([T0, T0 + timedelta(hours=1), T0, T0 - timedelta(days=1)])
    before = datetime.now(UTC)
    with clock_installed(lambda: next(readings, T0)):
        team = any_app.create_team(name="T", parent_id=None, actor="a").id
        person = any_app.register_person(name="P", email="p@example.org", team_id=None,
                                         actor="a").id
        any_app.move_person(UUID(person), team_id=UUID(team), actor="a")
    stamps = [e.timestamp for e in recorded_events(any_app)]
    assert all(a < b for a, b in pairwise(stamps)) and stamps[0] >= before


@pytest.fixture
def ticking() -> Iterator[list[datetime]]:
    """A clock that moves one minute per reading; yields the readings so far."""
    readings: list[datetime] = []

    def tick() -> datetime:
        readings.append(T0 + timedelta(minutes=len(readings)))
        return readings[-1]

    with clock_installed(tick):
        yield readings


def test_loading_session_records_each_event_at_its_clock_time_strictly_increasing(
    any_app: OkrApplication, ticking: list[datetime]
) -> None:
    with loading(any_app):
        world = build_world(any_app)
        world.app.check_in(world.kr, value=10, channel="api", actor="a")
    stamps = [e.timestamp for e in recorded_events(any_app)]
    assert all(a < b for a, b in pairwise(stamps))
    assert set(stamps) <= set(ticking)
    assert any_app.repository.get(world.team).created_on == T0
    answer = any_app.create_team(name="Now", parent_id=None, actor="a")
    now_event = recorded_events(any_app, after=answer.position - 1)[0]
    assert abs(now_event.timestamp - datetime.now(UTC)) < timedelta(minutes=1)


def test_loading_session_refuses_a_store_that_is_not_empty(any_app: OkrApplication) -> None:
    any_app.create_team(name="Here", parent_id=None, actor="a")
    with pytest.raises(LoadRefused), loading(any_app):
        pytest.fail("a loading session began on a store that is not empty")


def test_loading_session_refuses_times_that_do_not_increase_or_are_ahead_and_records_nothing(
    any_app: OkrApplication,
) -> None:
    moment = [T0]
    with loading(any_app), clock_installed(lambda: moment[0]):
        any_app.create_team(name="First", parent_id=None, actor="a")
        assert_refused_load(any_app, lambda: any_app.create_team(
            name="Same instant", parent_id=None, actor="a"))
        moment[0] = datetime.now(UTC) + timedelta(hours=1)
        assert_refused_load(any_app, lambda: any_app.create_team(
            name="Future", parent_id=None, actor="a"))
    assert log_length(any_app) == 1


def assert_refused_load(app: OkrApplication, command: Callable[[], object]) -> None:
    before = log_length(app)
    with pytest.raises(LoadRefused):
        command()
    assert log_length(app) == before


def test_stored_event_names_are_past_tense_and_stable(world: World) -> None:
    world.app.check_in(world.kr, value=1, channel="api", actor="a")
    world.close()
    assert {type(e).__qualname__ for e in recorded_events(world.app)} == {
        "Team.Created", "Person.Created", "Cycle.Created", "Cycle.PlanEntryRecorded",
        "Objective.Created", "Objective.KeyResultAdded", "KeyResult.Created",
        "KeyResult.CheckedIn", "Cycle.Closed", "Objective.Closed", "KeyResult.Closed",
    }
    assert isinstance(UUID(str(recorded_events(world.app)[0].originator_id)), UUID)

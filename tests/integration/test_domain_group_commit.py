"""Group commit: commands run as one batch are recorded in one transaction, each answered
as if it had run alone, and nothing is decided on state another process has changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.application import OkrApplication
from domain.errors import InvalidInput, ObjectiveArchived, VersionMismatch
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person
from domain.results import CommandResult
from tests.support.world import World, build_world, log_length


@pytest.fixture
def other(pg_env: dict[str, str]) -> Iterator[OkrApplication]:
    """A second process on the same database."""
    app = OkrApplication(env=pg_env)
    yield app
    app.close()


def positions_of(app: OkrApplication, aggregate_id: UUID) -> dict[int, int]:
    """Version -> position of an aggregate's stored events."""
    head = app.recorder.max_notification_id() or 0
    return {n.originator_version: n.id for n in app.recorder.select_notifications(1, head)
            if n.originator_id == aggregate_id}


def check_in(app: OkrApplication, kr: UUID, value: float, **kw: Any) -> Callable[[], Any]:
    return lambda: app.check_in(kr, value=value, channel="api", actor="batch", **kw)


def results(outcomes: list[Any]) -> list[CommandResult]:
    assert all(isinstance(o, CommandResult) for o in outcomes), outcomes
    return outcomes


def test_a_batch_is_answered_as_if_each_command_ran_alone(any_app: OkrApplication) -> None:
    world = build_world(any_app)
    version = any_app.load(KeyResult, world.kr).version
    answers = results(any_app.run_batch([check_in(any_app, world.kr, v) for v in (1, 2, 3)]))
    assert [a.version for a in answers] == [version + 1, version + 2, version + 3]
    kr = any_app.load(KeyResult, world.kr)
    assert (kr.version, kr.current, kr.check_ins) == (version + 3, 3.0, 3)
    if any_app.recorder.__class__.__name__ == "LockedInsertRecorder":
        stored = positions_of(any_app, world.kr)
        assert [a.position for a in answers] == [stored[a.version] for a in answers]


def test_a_refused_command_is_answered_and_leaves_the_others_alone(
    any_app: OkrApplication,
) -> None:
    world = build_world(any_app)
    before = log_length(any_app)
    version = any_app.load(KeyResult, world.kr).version
    outcomes = any_app.run_batch([
        check_in(any_app, world.kr, 10),
        check_in(any_app, world.kr, float("nan")),
        check_in(any_app, world.kr, 20, if_match=version),  # stale: the first moved it on
        check_in(any_app, world.kr, 30, if_match=version + 1),
    ])
    assert isinstance(outcomes[1], InvalidInput)
    assert isinstance(outcomes[2], VersionMismatch)
    assert [o.version for o in results([outcomes[0], outcomes[3]])] == [version + 1, version + 2]
    assert log_length(any_app) == before + 2
    assert any_app.load(KeyResult, world.kr).current == 30.0


def test_a_command_failing_after_staging_leaves_no_trace(any_app: OkrApplication) -> None:
    world = build_world(any_app)
    version = any_app.load(KeyResult, world.kr).version

    def stages_then_fails() -> None:
        any_app.check_in(world.kr, value=99, channel="api", actor="batch")
        raise RuntimeError("after the commit")

    outcomes = any_app.run_batch([stages_then_fails, check_in(any_app, world.kr, 5)])
    assert isinstance(outcomes[0], RuntimeError)
    assert results(outcomes[1:])[0].version == version + 1
    kr = any_app.load(KeyResult, world.kr)
    assert (kr.version, kr.current) == (version + 1, 5.0)


@pytest.fixture
def world(pg_app: OkrApplication) -> World:
    return build_world(pg_app)


def test_a_batch_on_a_cached_aggregate_another_process_changed_is_run_again(
    world: World, other: OkrApplication
) -> None:
    app = world.app
    app.load(KeyResult, world.kr)  # cached here
    other.check_in(world.kr, value=50, channel="api", actor="other")
    version = other.load(KeyResult, world.kr).version
    answers = results(app.run_batch([check_in(app, world.kr, 7), check_in(app, world.kr, 8)]))
    assert [a.version for a in answers] == [version + 1, version + 2]
    kr = other.load(KeyResult, world.kr)
    assert (kr.version, kr.current, kr.check_ins) == (version + 2, 8.0, 3)


def test_a_refusal_is_decided_again_on_the_stores_state(
    world: World, other: OkrApplication
) -> None:
    app = world.app
    seen = app.load(Objective, world.goal).version  # cached at `seen`
    other.edit_objective(world.goal, title="Renamed elsewhere", actor="other")
    (answer,) = results(app.run_batch([lambda: app.edit_objective(
        world.goal, title="Renamed here", actor="batch", if_match=seen + 1)]))
    assert answer.version == seen + 2
    assert other.load(Objective, world.goal).title == "Renamed here"


def test_a_batched_check_in_on_a_key_result_whose_objective_another_process_archived_is_refused(
    world: World, other: OkrApplication
) -> None:
    app = world.app
    app.load(Objective, world.goal)  # cached here as active, then archived elsewhere
    app.load(KeyResult, world.kr)
    other.archive_objective(world.goal, actor="other")
    before = log_length(app)
    (outcome,) = app.run_batch([check_in(app, world.kr, 7)])
    assert isinstance(outcome, ObjectiveArchived)
    assert log_length(app) == before


def test_a_stale_read_refuses_the_batch_and_each_command_runs_again(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.app
    person = app.register_person(name="Grace", email="grace@example.com", team_id=world.team,
                                 actor="admin")
    app.load(Person, UUID(person.id))  # cached here, then moved by another process
    other.move_person(UUID(person.id), team_id=world.team, actor="other")
    inserts: list[str] = []
    insert = app.recorder.insert_events

    def counted(events: Any, **kwargs: Any) -> Any:
        try:
            answer = insert(events, **kwargs)
        except IntegrityError:
            inserts.append("refused")
            raise
        inserts.append("recorded")
        return answer

    monkeypatch.setattr(app.recorder, "insert_events", counted)
    owner = {"type": "person", "id": person.id}
    (answer,) = results(app.run_batch([lambda: app.create_objective(
        cycle=world.cycle, title="Grace's", description=None, owner=owner, parent_id=None,
        actor="batch")]))
    assert inserts == ["refused", "recorded"]
    assert app.load(Objective, UUID(answer.id)).owner == owner


# The smallest state the store accepts: it opens with the event's provisional time.
STATE = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"}}'


def test_the_store_refuses_events_decided_on_a_changed_aggregate(
    world: World, other: OkrApplication
) -> None:
    other.check_in(world.kr, value=1, channel="api", actor="other")
    version = other.load(KeyResult, world.kr).version
    before = log_length(world.app)
    new = StoredEvent(originator_id=uuid4(), originator_version=1, topic="t", state=STATE)
    with pytest.raises(IntegrityError):
        world.app.recorder.insert_events([new], unchanged_reads={world.kr: version - 1})
    assert log_length(world.app) == before
    assert world.app.recorder.insert_events([new], unchanged_reads={world.kr: version})

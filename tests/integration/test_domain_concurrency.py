"""Two application instances on one PostgreSQL store: optimistic concurrency keeps the rules
(no loops, no duplicates, nothing after close) when commands interleave.

`interleave` makes the race deterministic: the other writer commits between this writer's
decision (made on state that is now stale) and its save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.alignment import is_forest
from domain.application import OkrApplication
from domain.errors import (
    AlignmentLoop,
    CycleClosed,
    DuplicateEntity,
    ObjectiveArchived,
    VersionMismatch,
)
from domain.key_result import KeyResult
from domain.objective import Objective
from tests.support.world import World, build_world, log_length


@pytest.fixture
def world(pg_app: OkrApplication) -> World:
    world = build_world(pg_app)
    pg_app.realign_objective(world.sub, parent_id=None, actor="admin")  # a, b: two roots
    return world


@pytest.fixture
def other(pg_env: dict[str, str]) -> Iterator[OkrApplication]:
    """A second process on the same database."""
    app = OkrApplication(env=pg_env)
    yield app
    app.close()


def interleave(
    monkeypatch: pytest.MonkeyPatch, app: OkrApplication, meanwhile: Callable[[], object]
) -> list[str]:
    """Run `meanwhile` once, just before `app` first saves; answer the log of loads and saves."""
    calls: list[str] = []
    commit, load = app.commit, app.load

    def late_commit(*args: Any, **kwargs: Any) -> Any:
        calls.append("save")
        if calls.count("save") == 1:
            meanwhile()
        return commit(*args, **kwargs)

    def counted_load(*args: Any, **kwargs: Any) -> Any:
        calls.append("load")
        return load(*args, **kwargs)

    monkeypatch.setattr(app, "commit", late_commit)
    monkeypatch.setattr(app, "load", counted_load)
    return calls


def test_crossed_realignment_from_a_stale_process_is_refused_as_a_loop(
    world: World, other: OkrApplication
) -> None:
    a, b = world.sub, world.side
    assert other.cycle(world.cycle).parents[str(a)] is None  # the other process caches it
    world.app.realign_objective(a, parent_id=b, actor="first")
    before = log_length(world.app)
    with pytest.raises(AlignmentLoop):
        other.realign_objective(b, parent_id=a, actor="second")
    assert log_length(world.app) == before
    assert is_forest(world.app.cycle(world.cycle).parents)


def test_crossed_realignments_interleaved_before_save_retry_and_refuse_the_loop(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = world.sub, world.side
    after_first: list[int] = []

    def first() -> None:
        world.app.realign_objective(a, parent_id=b, actor="first")
        after_first.append(log_length(world.app))

    calls = interleave(monkeypatch, other, first)
    with pytest.raises(AlignmentLoop):
        other.realign_objective(b, parent_id=a, actor="second")
    # Decided on stale state, lost the race on the cycle, re-read, and refused the loop.
    assert calls.count("save") == 1 and calls.count("load") > 3
    assert log_length(world.app) == after_first[0]
    parents = world.app.cycle(world.cycle).parents
    assert is_forest(parents) and parents[str(a)] == str(b) and parents[str(b)] is None
    assert world.app.load(Objective, b).parent_id is None


def test_concurrent_check_ins_without_if_match_are_both_recorded(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    interleave(monkeypatch, other, lambda: world.app.check_in(world.kr, value=10,
                                                              channel="api", actor="x"))
    answer = other.check_in(world.kr, value=20, channel="api", actor="y")
    kr = world.app.load(KeyResult, world.kr)
    assert (kr.check_ins, kr.current, kr.version, answer.version) == (2, 20.0, 3, 3)


def test_check_in_racing_the_archive_of_its_objective_is_refused(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    archived: list[int] = []

    def archive() -> None:
        world.app.archive_objective(world.goal, actor="x")
        archived.append(log_length(world.app))

    calls = interleave(monkeypatch, other, archive)
    with pytest.raises(ObjectiveArchived):
        other.check_in(world.kr, value=20, channel="api", actor="y")
    # Decided while the objective was active, lost the race on it, re-read, and refused.
    assert calls.count("save") == 1
    assert log_length(world.app) == archived[0]
    assert world.app.load(KeyResult, world.kr).check_ins == 0


def test_racing_creation_of_the_same_cycle_is_refused_as_a_duplicate(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    dates = {"starts_on": date(2027, 4, 1), "ends_on": date(2027, 6, 30)}
    interleave(monkeypatch, other, lambda: world.app.create_cycle(key="2027-Q2", actor="x",
                                                                  **dates))
    with pytest.raises(DuplicateEntity):
        other.create_cycle(key="2027-Q2", actor="y", **dates)
    assert world.app.cycle("2027-Q2").version == 1


def test_objective_created_while_the_cycle_closes_is_refused(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    interleave(monkeypatch, other, world.close)
    with pytest.raises(CycleClosed):
        other.create_objective(cycle=world.cycle, title="Late", description=None,
                               owner=world.team_owner(), parent_id=None, actor="y")
    assert str(world.goal) in world.app.cycle(world.cycle).plan
    assert len(world.app.cycle(world.cycle).plan) == 3


def test_stale_if_match_from_another_process_is_a_version_mismatch(
    world: World, other: OkrApplication
) -> None:
    seen = other.load(Objective, world.goal).version
    world.app.edit_objective(world.goal, title="Renamed", actor="first", if_match=seen)
    before = log_length(world.app)
    with pytest.raises(VersionMismatch):
        other.edit_objective(world.goal, title="Clobber", actor="second", if_match=seen)
    assert log_length(world.app) == before
    assert world.app.load(Objective, world.goal).title == "Renamed"


def test_if_match_overtaken_before_save_is_a_version_mismatch(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = other.load(Objective, world.goal).version
    interleave(monkeypatch, other, lambda: world.app.edit_objective(
        world.goal, title="First", actor="x"))
    with pytest.raises(VersionMismatch):
        other.edit_objective(world.goal, title="Second", actor="y", if_match=seen)


def test_realign_with_current_if_match_survives_a_concurrent_change_elsewhere_in_the_cycle(
    world: World, other: OkrApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = other.load(Objective, world.side).version
    interleave(monkeypatch, other, lambda: world.app.realign_objective(
        world.sub, parent_id=world.goal, actor="x"))
    answer = other.realign_objective(world.side, parent_id=world.goal, actor="y",
                                     if_match=seen)
    assert answer.version == seen + 1


def fold(app: OkrApplication, aggregate_id: UUID) -> Any:
    """The aggregate rebuilt from every stored event, without snapshots or cache."""
    aggregate = None
    for event in app.events.get(aggregate_id):
        aggregate = event.mutate(aggregate)
    return aggregate


def test_long_check_in_history_is_snapshotted_and_loads_equal_to_the_fold(
    world: World, pg_env: dict[str, str]
) -> None:
    for value in range(105):
        world.app.check_in(world.kr, value=float(value), confidence=0.5, channel="api", actor="a")
    # A back-dated correction after the snapshot must not become current.
    world.app.check_in(world.kr, value=1.0, effective_at=datetime(2026, 1, 1, tzinfo=UTC),
                       channel="api", actor="a")
    assert world.app.snapshots is not None
    (snapshot,) = list(world.app.snapshots.get(world.kr))
    assert snapshot.originator_version == 100
    expected = fold(world.app, world.kr)
    fresh = OkrApplication(env={**pg_env, "AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        for loaded in (fresh.load(KeyResult, world.kr), world.app.load(KeyResult, world.kr)):
            assert vars(loaded) == vars(expected)
        assert (expected.version, expected.check_ins, expected.current) == (107, 106, 104.0)
    finally:
        fresh.close()

"""The checker of refusals checks: a refusal test cannot pass vacuously (tests/support/world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.application import OkrApplication
from domain.errors import InvalidInput, NotFound, RuleViolation
from tests.support.world import (
    MEMORY,
    World,
    assert_refused,
    build_world,
    log_length,
    recorded_events,
)


@pytest.fixture
def world() -> Iterator[World]:
    app = OkrApplication(env=MEMORY)
    yield build_world(app)
    app.close()


def test_refusal_check_fails_when_the_refused_command_recorded_something(world: World) -> None:
    def records_then_refuses() -> None:
        world.app.edit_objective(world.goal, title="Changed", actor="a")
        raise RuleViolation("too late")

    with pytest.raises(AssertionError, match="recorded events"):
        assert_refused(world.app, records_then_refuses, RuleViolation)


def test_refusal_check_fails_on_a_different_error_class(world: World) -> None:
    with pytest.raises(AssertionError, match="expected InvalidInput"):
        assert_refused(world.app, lambda: world.app.edit_objective(
            UUID(int=1), title="x", actor="a"), InvalidInput)
    assert_refused(world.app, lambda: world.app.edit_objective(
        UUID(int=1), title="x", actor="a"), NotFound)


def test_refusal_check_fails_when_the_command_succeeds(world: World) -> None:
    with pytest.raises(pytest.fail.Exception):
        assert_refused(world.app, lambda: world.app.edit_objective(
            world.goal, title="Fine", actor="a"), InvalidInput)


def test_world_is_built_with_one_event_per_change_and_a_consistent_plan(world: World) -> None:
    plan = world.app.cycle(world.cycle).parents
    assert plan == {str(world.goal): None, str(world.sub): str(world.goal),
                    str(world.side): None}
    assert log_length(world.app) == len(recorded_events(world.app)) > 0

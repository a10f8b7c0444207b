"""`If-Match`: every command on an existing entity takes `if_match`; a version other than the
current one is refused with `VersionMismatch` and records nothing. Both stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from domain.cycle import Cycle
from domain.errors import VersionMismatch
from tests.support.world import World, assert_refused

Command = Callable[[World, Any], object]




# name -> (subject whose version If-Match names, command given that if_match)
COMMANDS: dict[str, tuple[Callable[[World], UUID], Command]] = {
    "move person": (lambda w: w.person, lambda w, v: w.app.move_person(
        w.person, team_id=w.team, actor="a", if_match=v)),
    "close cycle": (lambda w: Cycle.create_id(w.cycle), lambda w, v: w.app.close_cycle(
        w.cycle, actor="a", if_match=v)),
    "edit objective": (lambda w: w.goal, lambda w, v: w.app.edit_objective(
        w.goal, title="T", actor="a", if_match=v)),
    "reassign objective": (lambda w: w.goal, lambda w, v: w.app.reassign_objective(
        w.goal, owner=w.person_owner(), actor="a", if_match=v)),
    "realign objective": (lambda w: w.side, lambda w, v: w.app.realign_objective(
        w.side, parent_id=w.goal, actor="a", if_match=v)),
    "archive objective": (lambda w: w.side, lambda w, v: w.app.archive_objective(
        w.side, actor="a", if_match=v)),
    "add key result": (lambda w: w.goal, lambda w, v: w.app.add_key_result(
        w.goal, title="T", kind="binary", actor="a", if_match=v)),
    "edit key result": (lambda w: w.kr, lambda w, v: w.app.edit_key_result(
        w.kr, weight=2, actor="a", if_match=v)),
    "reassign key result": (lambda w: w.kr, lambda w, v: w.app.reassign_key_result(
        w.kr, owner=w.person_owner(), actor="a", if_match=v)),
    "check in": (lambda w: w.kr, lambda w, v: w.app.check_in(
        w.kr, value=3, channel="api", actor="a", if_match=v)),
    "grade key result": (lambda w: w.kr, lambda w, v: w.app.grade_key_result(
        w.kr, score=0.5, actor="a", if_match=v)),
}


def version(w: World, entity_id: UUID) -> int:
    return int(w.app.repository.get(entity_id).version)


@pytest.mark.parametrize("case", sorted(COMMANDS))
def test_if_match_of_another_version_is_refused_and_records_nothing(
    world: World, case: str
) -> None:
    subject, command = COMMANDS[case]
    current = version(world, subject(world))
    for wrong in (current - 1, current + 1, 0):
        refused = assert_refused(world.app, lambda w=wrong: command(world, w), VersionMismatch)
        assert isinstance(refused, VersionMismatch)
        assert (refused.expected, refused.actual) == (wrong, current)


@pytest.mark.parametrize("case", sorted(COMMANDS))
def test_if_match_of_the_current_version_is_accepted(world: World, case: str) -> None:
    subject, command = COMMANDS[case]
    before = version(world, subject(world))
    command(world, before)
    assert version(world, subject(world)) > before


def test_if_match_goes_stale_after_another_change(world: World) -> None:
    seen = version(world, world.goal)
    world.app.edit_objective(world.goal, title="First", actor="a", if_match=seen)
    assert_refused(world.app, lambda: world.app.edit_objective(
        world.goal, title="Second", actor="b", if_match=seen), VersionMismatch)
    answer = world.app.edit_objective(world.goal, title="Second", actor="b", if_match=seen + 1)
    assert answer.version == seen + 2


def test_command_answer_version_is_the_next_if_match(world: World) -> None:
    answer = world.app.check_in(world.kr, value=1, channel="api", actor="a")
    again = world.app.check_in(world.kr, value=2, channel="api", actor="a", if_match=answer.version)
    assert again.version == answer.version + 1

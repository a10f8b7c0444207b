"""References between entities: unknown ids in the path are `NotFound`, unknown ids in the
body are `UnknownReference`, an id of the wrong aggregate type counts as unknown, and a parent
must belong to the same cycle. Refusals record nothing, in both stores.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from domain.errors import DomainError, NotFound, RuleViolation, UnknownReference
from domain.objective import Objective
from tests.support.world import World, assert_refused

GHOST = UUID("00000000-0000-4000-8000-00000000dead")
GHOST_OWNER = {"type": "team", "id": str(GHOST)}




PATH_COMMANDS: dict[str, Callable[[World, UUID], object]] = {
    "move person": lambda w, i: w.app.move_person(i, team_id=w.team, actor="a"),
    "edit objective": lambda w, i: w.app.edit_objective(i, title="T", actor="a"),
    "reassign objective": lambda w, i: w.app.reassign_objective(
        i, owner=w.team_owner(), actor="a"),
    "realign objective": lambda w, i: w.app.realign_objective(i, parent_id=None, actor="a"),
    "archive objective": lambda w, i: w.app.archive_objective(i, actor="a"),
    "carry over objective": lambda w, i: w.app.carry_over(i, cycle=w.next_cycle, actor="a"),
    "add key result": lambda w, i: w.app.add_key_result(i, title="T", kind="binary",
                                                        actor="a"),
    "edit key result": lambda w, i: w.app.edit_key_result(i, title="T", actor="a"),
    "reassign key result": lambda w, i: w.app.reassign_key_result(i, owner=None, actor="a"),
    "check in": lambda w, i: w.app.check_in(i, value=1, channel="api", actor="a"),
    "grade key result": lambda w, i: w.app.grade_key_result(i, score=0.5, actor="a"),
}
# An id that exists but names another kind of aggregate than the path expects.
WRONG_KIND: dict[str, Callable[[World], UUID]] = {
    "move person": lambda w: w.team,
    "edit objective": lambda w: w.kr,
    "reassign objective": lambda w: w.person,
    "realign objective": lambda w: w.kr,
    "archive objective": lambda w: w.team,
    "carry over objective": lambda w: w.kr,
    "add key result": lambda w: w.kr,
    "edit key result": lambda w: w.goal,
    "reassign key result": lambda w: w.person,
    "check in": lambda w: w.goal,
    "grade key result": lambda w: w.team,
}


@pytest.mark.parametrize("case", sorted(PATH_COMMANDS))
def test_unknown_id_in_the_path_is_not_found_and_records_nothing(
    world: World, case: str
) -> None:
    assert_refused(world.app, lambda: PATH_COMMANDS[case](world, uuid4()), NotFound)


@pytest.mark.parametrize("case", sorted(PATH_COMMANDS))
def test_id_of_another_aggregate_type_in_the_path_is_not_found_and_records_nothing(
    world: World, case: str
) -> None:
    wrong = WRONG_KIND[case](world)
    assert_refused(world.app, lambda: PATH_COMMANDS[case](world, wrong), NotFound)


def test_closing_an_unknown_cycle_is_not_found_and_records_nothing(world: World) -> None:
    assert_refused(world.app, lambda: world.app.close_cycle("1999-Q1", actor="a"), NotFound)


BODY_REFERENCES: dict[str, Callable[[World], object]] = {
    "team under an unknown parent team": lambda w: w.app.create_team(
        name="T", parent_id=GHOST, actor="a"),
    "team under a person": lambda w: w.app.create_team(name="T", parent_id=w.person, actor="a"),
    "person in an unknown team": lambda w: w.app.register_person(
        name="B", email="b@x.io", team_id=GHOST, actor="a"),
    "person moved to an unknown team": lambda w: w.app.move_person(
        w.person, team_id=GHOST, actor="a"),
    "person moved to an objective": lambda w: w.app.move_person(
        w.person, team_id=w.goal, actor="a"),
    "objective in an unknown cycle": lambda w: w.objective(cycle="1999-Q1"),
    "objective under an unknown parent": lambda w: w.objective(parent_id=GHOST),
    "objective under a key result": lambda w: w.objective(parent_id=w.kr),
    "objective owned by an unknown team": lambda w: w.objective(owner=GHOST_OWNER),
    "objective owned by an unknown person": lambda w: w.objective(
        owner={"type": "person", "id": str(GHOST)}),
    "objective owned by a team id typed as person": lambda w: w.objective(
        owner={"type": "person", "id": str(w.team)}),
    "objective owned by a person id typed as team": lambda w: w.objective(
        owner={"type": "team", "id": str(w.person)}),
    "objective realigned under an unknown parent": lambda w: w.app.realign_objective(
        w.sub, parent_id=GHOST, actor="a"),
    "objective realigned under a team": lambda w: w.app.realign_objective(
        w.sub, parent_id=w.team, actor="a"),
    "objective reassigned to an unknown owner": lambda w: w.app.reassign_objective(
        w.goal, owner=GHOST_OWNER, actor="a"),
    "key result owned by an unknown owner": lambda w: w.app.add_key_result(
        w.goal, title="T", kind="binary", owner=GHOST_OWNER, actor="a"),
    "key result reassigned to an unknown owner": lambda w: w.app.reassign_key_result(
        w.kr, owner=GHOST_OWNER, actor="a"),
    "carry over into an unknown cycle": lambda w: w.app.carry_over(
        w.goal, cycle="1999-Q1", actor="a"),
}


@pytest.mark.parametrize("case", sorted(BODY_REFERENCES))
def test_unknown_id_in_the_body_is_an_unknown_reference_and_records_nothing(
    world: World, case: str
) -> None:
    assert_refused(world.app, lambda: BODY_REFERENCES[case](world), UnknownReference)


FOREIGN_PARENT: dict[str, Callable[[World], object]] = {
    "new objective under an objective of another cycle": lambda w: w.objective(
        parent_id=w.later),
    "objective realigned under an objective of another cycle": lambda w: (
        w.app.realign_objective(w.sub, parent_id=w.later, actor="a")),
    "objective of the next cycle realigned under this cycle": lambda w: (
        w.app.realign_objective(w.later, parent_id=w.goal, actor="a")),
}


@pytest.mark.parametrize("case", sorted(FOREIGN_PARENT))
def test_parent_from_another_cycle_violates_a_rule_and_records_nothing(
    world: World, case: str
) -> None:
    error: DomainError = assert_refused(
        world.app, lambda: FOREIGN_PARENT[case](world), RuleViolation)
    assert "cycle" in error.detail


def test_known_references_are_accepted(world: World) -> None:
    child_team = world.app.create_team(name="Sub", parent_id=world.team, actor="a").id
    world.app.move_person(world.person, team_id=UUID(child_team), actor="a")
    oid = world.objective(owner=world.person_owner(), parent_id=world.side)
    world.app.add_key_result(oid, title="T", kind="binary", owner=world.team_owner(),
                             actor="a")
    loaded = world.app.load(Objective, oid)
    assert (loaded.owner, loaded.parent_id) == (world.person_owner(), world.side)
    assert world.app.cycle(world.cycle).parents[str(oid)] == str(world.side)

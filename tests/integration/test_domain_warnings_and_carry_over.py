"""Best-practice warnings are hints that never refuse, and carry-over continues an objective in
another cycle. Both stores.
"""

from __future__ import annotations

from uuid import UUID

from domain.errors import InvalidInput
from domain.objective import Objective
from tests.support.world import World, assert_refused, log_length


def create(w: World, owner: dict[str, str], cycle: str | None = None) -> list[str]:
    before = log_length(w.app)
    answer = w.app.create_objective(cycle=cycle or w.cycle, title="More", description=None,
                                    owner=owner, parent_id=None, actor="a")
    assert log_length(w.app) == answer.position > before  # recorded despite any warning
    assert w.app.load(Objective, UUID(answer.id)).status == "active"
    return answer.warnings


def test_fourth_active_objective_of_an_owner_is_recorded_with_a_warning(world: World) -> None:
    (warning,) = create(world, world.team_owner())
    assert "4 active objectives" in warning and str(world.team) in warning


def test_third_active_objective_of_an_owner_has_no_warning(world: World) -> None:
    assert create(world, world.person_owner()) == []
    assert create(world, world.person_owner()) == []
    assert create(world, world.person_owner()) == []
    assert len(create(world, world.person_owner())) == 1


def test_archived_objectives_do_not_count_toward_the_owner_warning(world: World) -> None:
    world.app.archive_objective(world.side, actor="a")
    assert create(world, world.team_owner()) == []


def test_objectives_in_another_cycle_do_not_count_toward_the_owner_warning(
    world: World,
) -> None:
    assert create(world, world.team_owner(), cycle=world.next_cycle) == []


def test_reassigning_to_a_busy_owner_is_recorded_with_a_warning(world: World) -> None:
    other = world.objective(owner=world.person_owner())
    assert world.app.reassign_objective(world.later, owner=world.person_owner(),
                                        actor="a").warnings == []
    (warning,) = world.app.reassign_objective(other, owner=world.team_owner(),
                                              actor="a").warnings
    assert "4 active objectives" in warning
    assert world.app.load(Objective, other).owner == world.team_owner()
    assert world.app.cycle(world.cycle).plan[str(other)]["owner"] == world.team_owner()


def test_key_result_count_outside_three_to_five_is_recorded_with_a_warning(
    world: World,
) -> None:
    oid = world.objective(title="Counted", owner=world.person_owner())
    warned = []
    for n in range(1, 8):
        answer = world.app.add_key_result(oid, title=f"KR {n}", kind="binary", actor="a")
        assert answer.position == log_length(world.app)
        warned.append(bool(answer.warnings))
    assert warned == [True, True, False, False, False, True, True]
    assert len(world.app.load(Objective, oid).key_result_ids) == 7


def test_key_result_warning_names_the_count(world: World) -> None:
    answer = world.app.add_key_result(world.goal, title="Third", kind="binary", actor="a")
    assert answer.warnings == []
    oid = world.objective(owner=world.person_owner())
    (warning,) = world.app.add_key_result(oid, title="Only", kind="binary", actor="a").warnings
    assert "1 key results" in warning


def test_carry_over_creates_a_new_objective_in_the_other_cycle(world: World) -> None:
    source_version = world.app.load(Objective, world.sub).version
    answer = world.app.carry_over(world.sub, cycle=world.next_cycle, actor="a")
    new = world.app.load(Objective, UUID(answer.id))
    assert new.id != world.sub
    assert (new.cycle_key, new.carried_from, new.parent_id, new.status) == (
        world.next_cycle, world.sub, None, "active")
    assert (new.title, new.description, new.owner) == ("Sub", "why", world.team_owner())
    assert world.app.cycle(world.next_cycle).parents[str(new.id)] is None
    assert world.app.load(Objective, world.sub).version == source_version


def test_carry_over_from_a_closed_cycle_is_allowed(world: World) -> None:
    world.app.check_in(world.kr, value=30, channel="api", actor="a")
    world.close()
    answer = world.app.carry_over(world.goal, cycle=world.next_cycle, actor="a")
    new = world.app.load(Objective, UUID(answer.id))
    assert (new.carried_from, new.closed, new.key_result_ids) == (world.goal, False, [])


def test_carry_over_into_the_same_cycle_is_refused_and_records_nothing(world: World) -> None:
    assert_refused(world.app, lambda: world.app.carry_over(
        world.goal, cycle=world.cycle, actor="a"), InvalidInput)


def test_carry_over_answers_the_owner_warnings_of_the_target_cycle(world: World) -> None:
    for _ in range(3):
        world.objective(cycle=world.next_cycle)
    answer = world.app.carry_over(world.goal, cycle=world.next_cycle, actor="a")
    assert len(answer.warnings) == 1  # later + 3 new + the carried one = 5 > 3

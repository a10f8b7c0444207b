"""A small world built through the application, and the check that a refusal records nothing.

The domain tests build their scenarios with `build_world` and check refusals with
`assert_refused`; tests/unit/test_domain_world.py checks the checker itself, so a refusal
test cannot pass vacuously.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.application import OkrApplication
from domain.errors import DomainError
from eventstore.memory import MEMORY_ENV

MEMORY = MEMORY_ENV


@dataclass(frozen=True)
class World:
    """Team + person, open cycle `2026-Q4` (goal <- sub, side), open cycle `2027-Q1` (later).

    `goal` has a numeric KR `kr` (0 -> 100) and a binary KR `flag`.
    """

    app: OkrApplication
    team: UUID
    person: UUID
    cycle: str
    next_cycle: str
    goal: UUID
    sub: UUID
    side: UUID
    later: UUID
    kr: UUID
    flag: UUID

    def team_owner(self) -> dict[str, str]:
        return {"type": "team", "id": str(self.team)}

    def person_owner(self) -> dict[str, str]:
        return {"type": "person", "id": str(self.person)}

    def objective(self, title: str = "Extra", **changes: Any) -> UUID:
        """Create one more objective (defaults: root of `cycle`, owned by the team)."""
        args: dict[str, Any] = {
            "cycle": self.cycle, "title": title, "description": None,
            "owner": self.team_owner(), "parent_id": None, "actor": "admin",
        }
        args.update(changes)
        return UUID(self.app.create_objective(**args).id)

    def close(self) -> None:
        self.app.close_cycle(self.cycle, actor="admin")


def build_world(app: OkrApplication) -> World:
    team = UUID(app.create_team(name="Platform", parent_id=None, actor="admin").id)
    person = UUID(app.register_person(
        name="Ada", email="ada@example.org", team_id=team, actor="admin").id)
    for key, starts, ends in (("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
                              ("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))):
        app.create_cycle(key=key, starts_on=starts, ends_on=ends, actor="admin")
    owner = {"type": "team", "id": str(team)}

    def objective(cycle: str, title: str, parent: UUID | None = None) -> UUID:
        return UUID(app.create_objective(cycle=cycle, title=title, description="why",
                                         owner=owner, parent_id=parent, actor="admin").id)

    goal = objective("2026-Q4", "Grow")
    sub = objective("2026-Q4", "Sub", goal)
    side = objective("2026-Q4", "Side")
    later = objective("2027-Q1", "Later")
    kr = UUID(app.add_key_result(goal, title="Revenue", kind="numeric", start=0, target=100,
                                 actor="admin").id)
    flag = UUID(app.add_key_result(goal, title="Launched", kind="binary", actor="admin").id)
    return World(app, team, person, "2026-Q4", "2027-Q1", goal, sub, side, later, kr, flag)


def log_length(app: OkrApplication) -> int:
    """Position of the last event in the global log (0 when empty)."""
    return app.recorder.max_notification_id() or 0


def recorded_events(app: OkrApplication, after: int = 0) -> list[Any]:
    """Domain events recorded after position `after`, in log order."""
    notifications = app.recorder.select_notifications(start=after + 1, limit=10_000)
    return [app.mapper.to_domain_event(n) for n in notifications]


def aggregate_states(app: OkrApplication) -> dict[UUID, tuple[int, dict[str, Any]]]:
    """Version and full state of every aggregate in the store."""
    ids = {UUID(str(event.originator_id)) for event in recorded_events(app)}
    states = {}
    for aggregate_id in ids:
        aggregate = app.repository.get(aggregate_id)
        states[aggregate_id] = (aggregate.version, deepcopy(vars(aggregate)))
    return states


def assert_refused(
    app: OkrApplication, command: Callable[[], object], error: type[DomainError]
) -> DomainError:
    """`command` raises exactly `error`, records nothing and leaves every aggregate as it was."""
    log_before, states_before = log_length(app), aggregate_states(app)
    with pytest.raises(DomainError) as refused:
        command()
    assert type(refused.value) is error, f"expected {error.__name__}, got {refused.value!r}"
    assert log_length(app) == log_before, "a refused command recorded events"
    assert aggregate_states(app) == states_before, "a refused command changed an aggregate"
    return refused.value


def record_every_kind_of_event(app: OkrApplication) -> World:
    """A world in which every event class of the domain is recorded at least once."""
    world = build_world(app)
    app.check_in(world.kr, value=12.5, confidence=0.7, note="ünïcode ✓",
                 effective_at=datetime(2026, 10, 5, 9, 30, tzinfo=UTC),
                 channel="api", actor="admin")
    app.reassign_key_result(world.kr, owner={"type": "person", "id": str(world.person)},
                            actor="admin", reason=None)
    app.realign_objective(world.side, parent_id=world.goal, actor="admin", reason="why")
    app.reassign_objective(world.sub, owner={"type": "person", "id": str(world.person)},
                           actor="admin")
    app.edit_objective(world.goal, title="Grow more", actor="admin")
    app.move_person(world.person, team_id=world.team, actor="admin")
    app.archive_objective(world.later, actor="admin")
    app.carry_over(world.sub, cycle=world.next_cycle, actor="admin")
    app.edit_key_result(world.flag, title="Shipped", actor="admin", reason="clearer")
    app.grade_key_result(world.flag, score=0.5, actor="admin")
    world.close()
    return world

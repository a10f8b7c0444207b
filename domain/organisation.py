"""Teams and people: the owners of objectives and key results."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.base import CreatedEvent, EventClass, OkrAggregate
from domain.values import check_email, check_name, check_reason


class Team(OkrAggregate):
    """A team; teams may nest under a parent team."""

    if TYPE_CHECKING:  # its events, defined by the @event methods below
        Created: ClassVar[CreatedEvent]


    @classmethod
    def found(cls, name: str, parent_id: UUID | None, actor: str) -> Team:
        return cls(name=check_name(name, "name"), parent_id=parent_id, actor=actor)

    @event("Created")
    def __init__(self, name: str, parent_id: UUID | None, actor: str) -> None:
        self.name = name
        self.parent_id = parent_id


class Person(OkrAggregate):
    """A person, member of at most one team."""

    if TYPE_CHECKING:  # its events, defined by the @event methods below
        Created: ClassVar[CreatedEvent]
        MovedTeam: ClassVar[EventClass]


    @classmethod
    def register(cls, name: str, email: str, team_id: UUID | None, actor: str) -> Person:
        return cls(name=check_name(name, "name"), email=check_email(email), team_id=team_id,
                   actor=actor)

    @event("Created")
    def __init__(self, name: str, email: str, team_id: UUID | None, actor: str) -> None:
        self.name = name
        self.email = email
        self.team_id = team_id

    def move_to_team(self, team_id: UUID, actor: str, reason: str | None = None) -> None:
        self._moved_team(team_id=team_id, actor=actor, reason=check_reason(reason))

    @event("MovedTeam")
    def _moved_team(self, team_id: UUID, actor: str, reason: str | None) -> None:
        self.team_id = team_id

"""An objective: a goal of one owner in one cycle, aligned under at most one parent."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.base import CreatedEvent, EventClass, OkrAggregate
from domain.errors import AlignmentLoop, InvalidInput, ObjectiveArchived
from domain.values import check_name, check_reason, check_text


class Objective(OkrAggregate):
    if TYPE_CHECKING:  # its events, defined by the @event methods below
        Created: ClassVar[CreatedEvent]
        Edited: ClassVar[EventClass]
        Reassigned: ClassVar[EventClass]
        Realigned: ClassVar[EventClass]
        Archived: ClassVar[EventClass]
        KeyResultAdded: ClassVar[EventClass]
        Closed: ClassVar[EventClass]

    @classmethod
    def draft(
        cls, *, cycle_key: str, title: str, description: str | None, owner: dict[str, str],
        parent_id: UUID | None, carried_from: UUID | None, actor: str,
        reason: str | None = None,
    ) -> Objective:
        return cls(
            cycle_key=cycle_key, title=check_name(title), owner=owner, parent_id=parent_id,
            description=check_text(description, "description") or "",
            carried_from=carried_from, actor=actor, reason=check_reason(reason),
        )

    @event("Created")
    def __init__(
        self, cycle_key: str, title: str, description: str, owner: dict[str, str],
        parent_id: UUID | None, carried_from: UUID | None, actor: str,
        reason: str | None = None,
    ) -> None:
        self.cycle_key = cycle_key
        self.title = title
        self.description = description
        self.owner = owner
        self.parent_id = parent_id
        self.carried_from = carried_from
        self.status = "active"
        self.key_result_ids: list[UUID] = []
        self.closed = False
        self.score: float | None = None

    def edit(
        self, *, title: str | None, description: str | None, actor: str, reason: str | None
    ) -> None:
        self._ensure_changeable()
        if title is None and description is None:
            raise InvalidInput("give a title or a description to change")
        self._edited(
            title=None if title is None else check_name(title),
            description=check_text(description, "description"),
            actor=actor, reason=check_reason(reason),
        )

    @event("Edited")
    def _edited(
        self, title: str | None, description: str | None, actor: str, reason: str | None
    ) -> None:
        if title is not None:
            self.title = title
        if description is not None:
            self.description = description

    def reassign(self, owner: dict[str, str], actor: str, reason: str | None) -> None:
        self._ensure_changeable()
        self._reassigned(owner=owner, actor=actor, reason=check_reason(reason))

    @event("Reassigned")
    def _reassigned(self, owner: dict[str, str], actor: str, reason: str | None) -> None:
        self.owner = owner

    def realign(self, parent_id: UUID | None, actor: str, reason: str | None) -> None:
        self._ensure_changeable()
        if parent_id == self.id:
            raise AlignmentLoop(f"objective {self.id} cannot be its own parent")
        self._realigned(parent_id=parent_id, actor=actor, reason=check_reason(reason))

    @event("Realigned")
    def _realigned(self, parent_id: UUID | None, actor: str, reason: str | None) -> None:
        self.parent_id = parent_id

    def archive(self, actor: str, reason: str | None) -> None:
        self._ensure_changeable()
        self._archived(actor=actor, reason=check_reason(reason))

    @event("Archived")
    def _archived(self, actor: str, reason: str | None) -> None:
        self.status = "archived"

    def add_key_result(self, key_result_id: UUID, actor: str) -> None:
        self._ensure_changeable()
        self._key_result_added(key_result_id=key_result_id, actor=actor)

    @event("KeyResultAdded")
    def _key_result_added(self, key_result_id: UUID, actor: str) -> None:
        self.key_result_ids.append(key_result_id)

    def close(self, score: float, actor: str) -> None:
        self._ensure_open()
        self._closed(score=score, actor=actor)

    @event("Closed")
    def _closed(self, score: float, actor: str) -> None:
        self.closed = True
        self.score = score

    def _ensure_changeable(self) -> None:
        self._ensure_open()
        if self.status == "archived":
            raise ObjectiveArchived(f"objective {self.id} is archived")

"""A planning cycle and its plan: which objectives it holds and how they align.

The cycle is the consistency boundary of alignment: every objective's parent link is
mirrored in the cycle's plan, so a realignment saves the objective *and* the cycle, and
optimistic concurrency on the cycle serialises concurrent realignments (see
docs/architecture.md).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.alignment import would_loop
from domain.base import CreatedEvent, EventClass, OkrAggregate
from domain.errors import (
    AlignmentLoop,
    CycleClosed,
    InvalidInput,
    ObjectiveArchived,
    RuleViolation,
)
from domain.values import check_cycle_key, check_day

CYCLE_NAMESPACE = uuid5(NAMESPACE_URL, "https://okr-ledger/cycles")


class Cycle(OkrAggregate):
    """A planning period (`2026-Q4`) that is open until closed."""
    if TYPE_CHECKING:  # its events, defined by the @event methods below
        Created: ClassVar[CreatedEvent]
        Closed: ClassVar[EventClass]
        PlanEntryRecorded: ClassVar[EventClass]


    @staticmethod
    def create_id(key: str, **_: Any) -> UUID:
        return uuid5(CYCLE_NAMESPACE, key)

    @classmethod
    def open(cls, key: str, starts_on: date, ends_on: date, actor: str) -> Cycle:
        check_cycle_key(key)
        check_day(starts_on, "starts_on")
        check_day(ends_on, "ends_on")
        if not starts_on < ends_on:
            raise InvalidInput("starts_on must be before ends_on", field="ends_on")
        return cls(key=key, starts_on=starts_on, ends_on=ends_on, actor=actor)

    @event("Created")
    def __init__(self, key: str, starts_on: date, ends_on: date, actor: str) -> None:
        self.key = key
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.closed = False
        # objective id -> {"parent_id": str | None, "owner": {...}, "active": bool}
        self.plan: dict[str, dict[str, Any]] = {}

    @property
    def status(self) -> str:
        return "closed" if self.closed else "open"

    @property
    def parents(self) -> dict[str, str | None]:
        return {oid: entry["parent_id"] for oid, entry in self.plan.items()}

    def active_objectives_of(self, owner: dict[str, str]) -> int:
        return sum(1 for e in self.plan.values() if e["active"] and e["owner"] == owner)

    def plan_objective(
        self, objective_id: UUID, parent_id: UUID | None, owner: dict[str, str], actor: str
    ) -> None:
        self._ensure_open()
        self._check_parent(str(objective_id), parent_id)
        self._record(str(objective_id), _ref(parent_id), owner, True, actor)

    def realign(self, objective_id: UUID, parent_id: UUID | None, actor: str) -> None:
        self._ensure_open()
        entry = self._entry(objective_id)
        self._check_parent(str(objective_id), parent_id)
        self._record(str(objective_id), _ref(parent_id), entry["owner"], entry["active"], actor)

    def reassign(self, objective_id: UUID, owner: dict[str, str], actor: str) -> None:
        self._ensure_open()
        entry = self._entry(objective_id)
        self._record(str(objective_id), entry["parent_id"], owner, entry["active"], actor)

    def retire(self, objective_id: UUID, actor: str) -> None:
        self._ensure_open()
        entry = self._entry(objective_id)
        self._record(str(objective_id), entry["parent_id"], entry["owner"], False, actor)

    def close(self, actor: str) -> None:
        if self.closed:
            raise CycleClosed(f"cycle {self.key} is already closed")
        self._closed(actor=actor)

    @event("Closed")
    def _closed(self, actor: str) -> None:
        self.closed = True

    def _record(
        self, oid: str, parent_id: str | None, owner: dict[str, str], active: bool, actor: str
    ) -> None:
        self._plan_entry_recorded(
            objective_id=oid, parent_id=parent_id, owner=owner, active=active, actor=actor
        )

    @event("PlanEntryRecorded")
    def _plan_entry_recorded(
        self, objective_id: str, parent_id: str | None, owner: dict[str, str], active: bool,
        actor: str,
    ) -> None:
        self.plan[objective_id] = {"parent_id": parent_id, "owner": owner, "active": active}

    def _entry(self, objective_id: UUID) -> dict[str, Any]:
        entry = self.plan.get(str(objective_id))
        if entry is None:
            raise InvalidInput(f"objective {objective_id} is not in cycle {self.key}")
        return entry

    def _check_parent(self, oid: str, parent_id: UUID | None) -> None:
        if parent_id is None:
            return
        parent = self.plan.get(str(parent_id))
        if parent is None:
            raise RuleViolation(f"parent {parent_id} is not an objective of cycle {self.key}")
        if not parent["active"]:
            raise ObjectiveArchived(f"parent {parent_id} is archived")
        if would_loop(self.parents, oid, str(parent_id)):
            raise AlignmentLoop(f"aligning {oid} under {parent_id} would make a loop")


def _ref(value: UUID | None) -> str | None:
    return None if value is None else str(value)

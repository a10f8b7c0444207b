"""The base of every okr-ledger aggregate: events take their time from the domain clock."""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate

from domain import clock
from domain.errors import CycleClosed

# Values that are never changed in place: a copy may share them with the original.
IMMUTABLE_VALUES = frozenset({str, int, float, bool, type(None), UUID, datetime, date})


class OkrAggregate(Aggregate):
    """An aggregate whose events are stamped by `domain.clock` (`recorded_at`)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> OkrAggregate:
        """A deep copy that shares immutable attribute values instead of rebuilding them.

        The repository copies every cached aggregate a command loads; `copy.deepcopy`
        would rebuild each UUID and datetime through `__reduce_ex__`, the largest cost of
        a check-in. Containers are still copied deeply.
        """
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(
            (name, value if type(value) in IMMUTABLE_VALUES else deepcopy(value, memo))
            for name, value in self.__dict__.items()
        )
        return clone

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    def trigger_event(
        self, event_class: type[CanMutateAggregate[Any]], **kwargs: Any
    ) -> None:
        """Stamp the event no earlier than the aggregate's last one.

        A wall clock may step back, and writers in several processes read slightly
        different clocks; `recorded_at` must still rise within an aggregate, or its
        bitemporal rows would get empty or inverted ranges.
        """
        if kwargs.get("timestamp") is None:
            now = clock.now()
            floor = self.modified_on + timedelta(microseconds=1)
            kwargs["timestamp"] = max(now, floor)
        super().trigger_event(event_class, **kwargs)

    def _ensure_open(self) -> None:
        if getattr(self, "closed", False):
            raise CycleClosed(f"{type(self).__name__} {self.id} belongs to a closed cycle")


# What followers key their handlers on: an aggregate's event classes (`Objective.Created`).
EventClass: TypeAlias = type[Aggregate.Event]
CreatedEvent: TypeAlias = type[Aggregate.Created]

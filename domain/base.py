"""The base of every okr-ledger aggregate: provisional event times, replaced by the store's.

An event is encoded with the time its command was decided; the store records it at its own
time (`recorded_at`, strictly increasing in log order) and writes that time into the
stored state. `on_recorded` then gives the aggregate in memory the same times.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeAlias
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate

from domain import clock
from domain.errors import CycleClosed

# Values that are never changed in place: a copy may share them with the original.
IMMUTABLE_VALUES = frozenset({str, int, float, bool, type(None), UUID, datetime, date})
TICK = timedelta(microseconds=1)
# An `effective_at` that means "when the event is recorded": the event takes its own time,
# so the store's `recorded_at` becomes its `effective_at` too.
AT_RECORDING = datetime.min.replace(tzinfo=UTC)


class OkrAggregate(Aggregate):
    """An aggregate whose events carry provisional times until the store records them."""

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
        """Stamp the event provisionally, no earlier than the aggregate's last one.

        The store replaces the stamp, and an `effective_at` of AT_RECORDING with it. An
        explicit `effective_at` never equals the stamp, so the store tells the two apart.
        """
        if kwargs.get("timestamp") is None:
            kwargs["timestamp"] = max(clock.now(), self.modified_on + TICK)
        effective = kwargs.get("effective_at")
        if effective is AT_RECORDING:
            kwargs["effective_at"] = kwargs["timestamp"]
        elif effective is not None and effective == kwargs["timestamp"]:
            kwargs["timestamp"] += TICK
        super().trigger_event(event_class, **kwargs)

    def on_recorded(self, stamps: Sequence[tuple[Any, datetime]]) -> bool:
        """Take the times the store gave this aggregate's events just recorded (in order).

        False when the state may differ from the one the stored events give (then the
        application reads it back from the store).
        """
        for event, moment in stamps:
            if event.originator_version == 1:
                self._created_on = moment
            if event.originator_version == self.version:
                self._modified_on = moment
        return True

    def _ensure_open(self) -> None:
        if getattr(self, "closed", False):
            raise CycleClosed(f"{type(self).__name__} {self.id} belongs to a closed cycle")


# What followers key their handlers on: an aggregate's event classes (`Objective.Created`).
EventClass: TypeAlias = type[Aggregate.Event]
CreatedEvent: TypeAlias = type[Aggregate.Created]

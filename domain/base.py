"""The base of every okr-ledger aggregate: events take their time from the domain clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, CanMutateAggregate

from domain import clock
from domain.errors import CycleClosed


class OkrAggregate(Aggregate):
    """An aggregate whose events are stamped by `domain.clock` (`recorded_at`)."""

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

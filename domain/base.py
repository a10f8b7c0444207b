"""The base of every okr-ledger aggregate: events take their time from the domain clock."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate

from domain import clock
from domain.errors import CycleClosed


class OkrAggregate(Aggregate):
    """An aggregate whose events are stamped by `domain.clock` (`recorded_at`)."""

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    def _ensure_open(self) -> None:
        if getattr(self, "closed", False):
            raise CycleClosed(f"{type(self).__name__} {self.id} belongs to a closed cycle")

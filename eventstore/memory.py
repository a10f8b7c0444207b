"""The in-memory store: eventsourcing's POPO recorder with the PostgreSQL store's transaction time.

Scenario tests run on it and on PostgreSQL alike, so it gives `recorded_at` by the same
rules (eventstore/txtime.py): under its lock, strictly after the last event's, written into the
state; in a loading session, the times the states were encoded with.
`OkrApplication(env=MEMORY_ENV)` uses it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from eventstore.txtime import (
    TICK,
    LoadRefused,
    Positions,
    check_given,
    clock_times,
    provisional,
    restamp,
)

MEMORY_ENV = {"PERSISTENCE_MODULE": "eventstore.memory:MemoryFactory"}


class MemoryRecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.recorded_at: list[datetime] = []
        self.loading = False

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Called under the recorder's lock, once the events are known to be new."""
        stamps = [provisional(e.state) for e in stored_events]
        not_before = [None if s.not_before is None else datetime.fromisoformat(s.not_before)
                      for s in stamps]
        last = self.recorded_at[-1] if self.recorded_at else None
        now = datetime.now(tz=UTC)
        if self.loading:
            times = [datetime.fromisoformat(s.placeholder) for s in stamps]
            check_given(times, last, now, not_before)
        else:
            times = clock_times(now if last is None else max(now, last + TICK), not_before)
            stored_events = [
                StoredEvent(e.originator_id, e.originator_version, e.topic,
                            restamp(e.state, s.placeholder, t))
                for e, s, t in zip(stored_events, stamps, times, strict=True)
            ]
        positions = super()._update_table(stored_events, **kwargs) or []
        self.recorded_at += times
        return Positions(positions, times)

    @contextmanager
    def loading_session(self) -> Iterator[None]:
        """Record the times the events were encoded with (only into an empty store)."""
        with self._database_lock:
            if self._stored_events:
                raise LoadRefused("the event store is not empty; loading needs an empty store")
            self.loading = True
        try:
            yield
        finally:
            self.loading = False


class MemoryFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return MemoryRecorder()

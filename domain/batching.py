"""Group commit: the changes of several commands, recorded in one transaction.

Every save takes the event table's lock and waits for its own WAL flush, so commands that
arrive together queue on the lock one flush at a time. A `Batch` runs such commands one
after the other in memory, each seeing the changes of those before it, and records all their
events in one insert: one lock, one flush, one round trip.

What a command read without changing is checked when the batch is recorded: the insert
refuses the whole batch when any of those aggregates has newer events (another process
wrote it), so nothing is decided on stale state. Aggregates it changes are checked by the
store's unique (aggregate, version) key as always.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

from domain.base import OkrAggregate
from domain.results import CommandKey, CommandResult, KeyedResult, keyed_results


@dataclass
class Staged:
    """What one command of a batch staged: its aggregates and their new events."""

    aggregates: dict[UUID, OkrAggregate] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    reads: dict[UUID, int] = field(default_factory=dict)
    keyed: tuple[CommandKey, CommandResult] | None = None


class Batch:
    """The staged changes of the commands run so far, in order, not yet recorded."""

    def __init__(self) -> None:
        self.working: dict[UUID, OkrAggregate] = {}
        self.events: list[Any] = []
        self.reads: dict[UUID, int] = {}
        self.keyed: list[KeyedResult] = []
        self.current = Staged()

    def begin(self) -> None:
        self.current = Staged()

    def end(self, *, keep: bool) -> tuple[int, int] | None:
        """Keep or drop the current command's changes; kept ones answer their events' span."""
        staged, self.current = self.current, Staged()
        if not keep:
            return None
        start = len(self.events)
        self.events.extend(staged.events)
        self.keyed += keyed_results(staged.keyed, start, len(self.events))
        self.working.update(staged.aggregates)
        for entity_id, version in staged.reads.items():
            self.reads.setdefault(entity_id, version)
        return start, len(self.events)

    def fetch(self, entity_id: UUID, repository: Repository[UUID]) -> object:
        """The aggregate as this batch sees it: staged, else cached, else from the store."""
        staged = self.working.get(entity_id)
        if staged is not None:
            return deepcopy(staged)
        aggregate: Any = None
        if repository.cache is not None:
            try:
                aggregate = deepcopy(repository.cache.get(entity_id))
            except KeyError:
                aggregate = None
        if aggregate is None:
            aggregate = repository.get(entity_id)
        self.current.reads.setdefault(entity_id, aggregate.version)
        return aggregate

    def knows(self, entity_id: UUID) -> bool:
        return entity_id in self.working or entity_id in self.current.aggregates

    def stage(
        self, aggregates: tuple[OkrAggregate, ...],
        keyed: tuple[CommandKey, CommandResult] | None = None,
    ) -> None:
        """The current command's changes; a `keyed` result is recorded with its events."""
        for aggregate in aggregates:
            self.current.events.extend(aggregate.collect_events())
            self.current.aggregates[aggregate.id] = aggregate
        self.current.keyed = keyed

    def unchanged_reads(self) -> dict[UUID, int]:
        """Versions read of aggregates the batch does not change: to check at insert."""
        return {i: v for i, v in self.reads.items() if i not in self.working}

    def touched(self) -> set[UUID]:
        return set(self.working) | set(self.reads)

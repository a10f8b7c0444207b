"""Plumbing of the application service: typed loading, saving, retries, If-Match."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, ClassVar, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Notification, Recording

from domain.base import OkrAggregate
from domain.batching import Batch
from domain.errors import (
    ConcurrentChange,
    DomainError,
    IdempotencyKeyReused,
    NotFound,
    UnknownReference,
    VersionMismatch,
)
from domain.key_result import KeyResult
from domain.results import CommandKey, CommandResult, keyed_results
from domain.transcodings import DateAsISO

A = TypeVar("A", bound=OkrAggregate)
P = ParamSpec("P")
R = TypeVar("R")
COMMAND_ATTEMPTS = 4


def command(method: Callable[P, R]) -> Callable[P, R]:
    """Run a use case again when a concurrent writer won the optimistic-concurrency race.

    Nothing was recorded by the losing attempt (the whole save is one transaction), so a
    retry re-reads the new state and decides again; an `if_match` is checked again on the
    re-read, so a lost race on the entity itself ends as `VersionMismatch`, while a race on
    a shared aggregate (the cycle's plan) simply succeeds on retry.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        service: ServiceBase = args[0]  # type: ignore[assignment]  # a method's self
        for attempt in range(COMMAND_ATTEMPTS):
            # Under a key, every attempt asks first: the one before may have been recorded
            # although its answer was lost (a dropped connection after the commit).
            recorded = service.recorded_result()
            if recorded is not None:
                return recorded  # type: ignore[return-value]  # keyed use cases answer results
            try:
                return method(*args, **kwargs)
            except IntegrityError as error:
                if attempt == COMMAND_ATTEMPTS - 1:
                    raise ConcurrentChange("the entity changed concurrently; retry") from error
        raise AssertionError("unreachable")

    return wrapper


class ServiceBase(Application[UUID]):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {KeyResult: 100}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batches = threading.local()

    def _batch(self) -> Batch | None:
        batch: Batch | None = getattr(self._batches, "batch", None)
        return batch

    def _key(self) -> CommandKey | None:
        key: CommandKey | None = getattr(self._batches, "key", None)
        return key

    def run_keyed(self, key: CommandKey, call: Callable[[], R]) -> R:
        """Run `call` (one use case) under `key`: its result is recorded with its events,
        and if `key` recorded one already, that result is answered instead."""
        self._batches.key = key
        try:
            return call()
        finally:
            self._batches.key = None

    def recorded_result(self) -> CommandResult | None:
        """The result recorded under the current key, if any (stores that cannot record
        results have none); the key reused with another request is refused."""
        key, select = self._key(), getattr(self.recorder, "select_command_result", None)
        if key is None or select is None:
            return None
        recorded: tuple[str, CommandResult] | None = select(key)
        if recorded is None:
            return None
        fingerprint, result = recorded
        if fingerprint != key.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
        return result

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def load(self, cls: type[A], entity_id: UUID, *, in_body: bool = False) -> A:
        """Get an aggregate of `cls`; unknown ids are 404 in a path, 422 in a body."""
        error = UnknownReference if in_body else NotFound
        label = f"{cls.__name__} {entity_id}"
        try:
            batch = self._batch()
            aggregate = (
                self.repository.get(entity_id) if batch is None
                else batch.fetch(entity_id, self.repository)
            )
        except AggregateNotFoundError:
            raise error(f"unknown {label}", field=cls.__name__.lower()) from None
        if not isinstance(aggregate, cls):
            raise error(f"unknown {label}", field=cls.__name__.lower())
        return aggregate

    def load_for_change(self, cls: type[A], entity_id: UUID, if_match: int | None) -> A:
        aggregate = self.load(cls, entity_id)
        if if_match is not None and if_match != aggregate.version:
            raise VersionMismatch(if_match, aggregate.version)
        return aggregate

    def exists(self, entity_id: UUID) -> bool:
        batch = self._batch()
        return (batch is not None and batch.knows(entity_id)) or entity_id in self.repository

    def commit(
        self, subject: OkrAggregate, *others: OkrAggregate, warnings: list[str] | None = None,
        decided_on: Sequence[OkrAggregate] = (), **extra: Any,
    ) -> CommandResult:
        """Save `subject` and `others` atomically and answer for `subject`.

        In a batch they are staged instead; the batch fills in the position once recorded.
        `decided_on` names aggregates the decision read without changing them: when one has
        changed since (another writer), nothing is saved and the command runs again (a batch
        checks every aggregate it read anyway).
        """
        batch, key = self._batch(), self._key()
        result = CommandResult(
            id=str(subject.id), version=subject.version, position=0,
            warnings=warnings or [], extra=extra,
        )
        if batch is not None:
            batch.stage((subject, *others), None if key is None else (key, result))
            return result
        saved = self.save_aggregates(subject, *others,
                                     keyed=None if key is None else (key, result),
                                     unchanged_reads={a.id: a.version for a in decided_on})
        return replace(result, position=max((r.notification.id for r in saved), default=0))

    def save_aggregates(
        self, *aggregates: OkrAggregate, keyed: tuple[CommandKey, CommandResult] | None = None,
        unchanged_reads: dict[UUID, int] | None = None,
    ) -> list[Any]:
        """`Application.save` for our aggregates, without its per-object protocol checks;
        a `keyed` result is recorded with the events, and `unchanged_reads` are checked.

        Afterwards the saved aggregates replace older cached ones, so the next command's
        fast-forward finds nothing to read; snapshots are taken from the saved aggregate
        itself rather than by reading it back from the store.
        """
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        return self._store(events, {aggregate.id: aggregate for aggregate in aggregates},
                           command_results=keyed_results(keyed, 0, len(events)),
                           unchanged_reads=unchanged_reads or {})

    def run_batch(self, calls: Sequence[Callable[[], R]]) -> list[R | Exception]:
        """Run commands in order and record all they change in one transaction.

        Answers each call's result (positions filled in) or the exception it raised. When
        the batch cannot be recorded (another process changed what it read or wrote), each
        call runs again on its own; so does each call refused by a domain rule, so that a
        refusal is decided on the store's current state, never on a cached one. A call
        must therefore be one use case (it commits last, or not at all).
        """
        batch = Batch()
        outcomes: list[R | Exception] = []
        spans: list[tuple[int, int] | None] = []
        self._batches.batch = batch
        try:
            for call in calls:
                batch.begin()
                try:
                    outcomes.append(call())
                except Exception as error:  # answered to its caller
                    outcomes.append(error)
                spans.append(batch.end(keep=not isinstance(outcomes[-1], Exception)))
        finally:
            self._batches.batch = None
        try:
            positions = self._record_batch(batch)
        except IntegrityError:
            self._evict(batch.touched())
            return [_attempt(call) for call in calls]
        return [
            _settled(call, outcome, span, positions)
            for call, outcome, span in zip(calls, outcomes, spans, strict=True)
        ]

    def _record_batch(self, batch: Batch) -> list[int]:
        if not batch.events:
            return []
        recordings = self._store(batch.events, batch.working,
                                 unchanged_reads=batch.unchanged_reads(),
                                 command_results=batch.keyed)
        return [r.notification.id for r in recordings]

    def _store(
        self, events: list[Any], aggregates: dict[UUID, OkrAggregate], **kwargs: Any
    ) -> list[Any]:
        """Record `events` in one transaction; then snapshots, notification and cache."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        processing.events.extend(events)
        processing.aggregates.update(aggregates)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self._cache_saved(aggregates.values())
        return recordings

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Record the events (as the library does), then give the saved aggregates the
        times the store recorded them at (its insert answers them with the positions)."""
        events = processing_event.events
        stored = [self.mapper.to_stored_event(event) for event in events]
        positions = self.recorder.insert_events(
            stored, tracking=processing_event.tracking, **processing_event.saved_kwargs)
        recordings = [
            Recording(event, Notification(
                id=position, originator_id=s.originator_id,
                originator_version=s.originator_version, topic=s.topic, state=s.state))
            for event, s, position in zip(events, stored, positions or (), strict=False)
        ]
        times = getattr(positions, "recorded_at", None)
        if times:
            self._take_times(processing_event, times)
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in processing_event.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return recordings

    def _take_times(self, processing_event: ProcessingEvent[UUID], times: list[Any]) -> None:
        stamps: dict[UUID, list[tuple[Any, Any]]] = {}
        for event, moment in zip(processing_event.events, times, strict=True):
            stamps.setdefault(event.originator_id, []).append((event, moment))
        aggregates = processing_event.aggregates
        for aggregate_id, recorded in stamps.items():
            aggregate = aggregates.get(aggregate_id)
            if isinstance(aggregate, OkrAggregate) and not aggregate.on_recorded(recorded):
                aggregates[aggregate_id] = self.repository.get(aggregate_id)

    def _evict(self, entity_ids: set[UUID]) -> None:
        cache = self.repository.cache
        if cache is None:
            return
        for entity_id in entity_ids:
            with contextlib.suppress(KeyError):
                cache.get(entity_id, evict=True)

    def _cache_saved(self, aggregates: Iterable[OkrAggregate]) -> None:
        cache = self.repository.cache
        if cache is None:
            return
        for aggregate in aggregates:
            try:
                cached = cache.get(aggregate.id)
            except KeyError:
                cached = None
            if cached is None or cached.version < aggregate.version:
                cache.put(aggregate.id, aggregate)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        if self.snapshots is None:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if not isinstance(aggregate, OkrAggregate) or interval is None:
                continue
            if event.originator_version % interval:
                continue
            if aggregate.version == event.originator_version:
                self.snapshots.put([type(aggregate).Snapshot.take(aggregate)])
            else:
                self.take_snapshot(event.originator_id, version=event.originator_version)


def _attempt(call: Callable[[], R]) -> R | Exception:
    try:
        return call()
    except Exception as error:  # answered to its caller
        return error


def _settled(
    call: Callable[[], R], outcome: R | Exception, span: tuple[int, int] | None,
    positions: list[int],
) -> R | Exception:
    """A call's final answer once its batch is recorded: a refusal by a domain rule is
    decided again on the store's state; a result gets the position of its last event."""
    if isinstance(outcome, DomainError):
        return _attempt(call)
    if not isinstance(outcome, CommandResult) or span is None or span[0] == span[1]:
        return outcome
    placed: R = replace(outcome, position=max(positions[span[0]:span[1]]))
    return placed

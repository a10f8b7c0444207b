"""Plumbing of the application service: typed loading, saving, retries, If-Match."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain.base import OkrAggregate
from domain.errors import ConcurrentChange, NotFound, UnknownReference, VersionMismatch
from domain.key_result import KeyResult
from domain.results import CommandResult
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
        for attempt in range(COMMAND_ATTEMPTS):
            try:
                return method(*args, **kwargs)
            except IntegrityError as error:
                if attempt == COMMAND_ATTEMPTS - 1:
                    raise ConcurrentChange("the entity changed concurrently; retry") from error
        raise AssertionError("unreachable")

    return wrapper


class ServiceBase(Application[UUID]):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {KeyResult: 100}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def load(self, cls: type[A], entity_id: UUID, *, in_body: bool = False) -> A:
        """Get an aggregate of `cls`; unknown ids are 404 in a path, 422 in a body."""
        error = UnknownReference if in_body else NotFound
        label = f"{cls.__name__} {entity_id}"
        try:
            aggregate: object = self.repository.get(entity_id)
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
        return entity_id in self.repository

    def commit(
        self, subject: OkrAggregate, *others: OkrAggregate, warnings: list[str] | None = None,
        **extra: Any,
    ) -> CommandResult:
        """Save `subject` and `others` atomically and answer for `subject`."""
        recordings = self.save(subject, *others)
        position = max(r.notification.id for r in recordings) if recordings else 0
        return CommandResult(
            id=str(subject.id), version=subject.version, position=position,
            warnings=warnings or [], extra=extra,
        )

"""A key result: a measurable outcome of an objective, checked in on every week."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.base import AT_RECORDING, CreatedEvent, EventClass, OkrAggregate
from domain.errors import InvalidInput
from domain.progress import kr_progress
from domain.values import (
    Channel,
    check_channel,
    check_finite,
    check_instant,
    check_name,
    check_reason,
    check_text,
    check_unit_interval,
    check_weight,
    resolve_kind_range,
)


class KeyResult(OkrAggregate):
    if TYPE_CHECKING:  # its events, defined by the @event methods below
        Created: ClassVar[CreatedEvent]
        Edited: ClassVar[EventClass]
        Reassigned: ClassVar[EventClass]
        Graded: ClassVar[EventClass]
        Closed: ClassVar[EventClass]

    @classmethod
    def define(
        cls, *, objective_id: UUID, cycle_key: str, title: str, kind: str,
        start: float | None, target: float | None, unit: str | None, weight: float | None,
        owner: dict[str, str] | None, actor: str,
    ) -> KeyResult:
        first, last = resolve_kind_range(kind, start, target)
        return cls(
            objective_id=objective_id, cycle_key=cycle_key, title=check_name(title), kind=kind,
            start=first, target=last, unit=check_text(unit, "unit", 200),
            weight=check_weight(1.0 if weight is None else weight), owner=owner, actor=actor,
        )

    @event("Created")
    def __init__(
        self, objective_id: UUID, cycle_key: str, title: str, kind: str, start: float,
        target: float, unit: str | None, weight: float, owner: dict[str, str] | None, actor: str,
    ) -> None:
        self.objective_id = objective_id
        self.cycle_key = cycle_key
        self.title = title
        self.kind = kind
        self.start = start
        self.target = target
        self.unit = unit
        self.weight = weight
        self.owner = owner
        self.current: float | None = None
        self.confidence: float | None = None
        self.current_effective_at: datetime | None = None
        self.check_ins = 0
        self.score: float | None = None
        self.graded_by_hand = False
        self.closed = False

    @property
    def progress(self) -> float:
        return kr_progress(self.start, self.target, self.current)

    def edit(
        self, *, title: str | None, target: float | None, weight: float | None, actor: str,
        reason: str | None,
    ) -> None:
        self._ensure_open()
        if title is None and target is None and weight is None:
            raise InvalidInput("give a title, target or weight to change")
        if target is not None:
            self._check_target(check_finite(target, "target"))
        self._edited(
            title=None if title is None else check_name(title),
            target=None if target is None else float(target),
            weight=None if weight is None else check_weight(weight),
            actor=actor, reason=check_reason(reason),
        )

    @event("Edited")
    def _edited(
        self, title: str | None, target: float | None, weight: float | None, actor: str,
        reason: str | None,
    ) -> None:
        self.title = self.title if title is None else title
        self.target = self.target if target is None else target
        self.weight = self.weight if weight is None else weight

    def reassign(self, owner: dict[str, str] | None, actor: str, reason: str | None) -> None:
        self._ensure_open()
        self._reassigned(owner=owner, actor=actor, reason=check_reason(reason))

    @event("Reassigned")
    def _reassigned(self, owner: dict[str, str] | None, actor: str, reason: str | None) -> None:
        self.owner = owner

    class CheckedIn(OkrAggregate.Event):
        """A value of the key result, true from `effective_at`.

        Version 2 added `channel`, the edge the check-in came through (domain.values.CHANNELS).
        Stored version-1 events are upcast when read; their bytes are never rewritten.
        """

        class_version = 2
        fields_since: ClassVar[dict[str, int]] = {"channel": 2}  # for older versions' schemas
        value: float
        confidence: float | None
        note: str | None
        effective_at: datetime
        actor: str
        channel: Channel

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["channel"] = "api"  # before v2, every check-in came through the API

    def check_in(
        self, *, value: float, confidence: float | None, note: str | None,
        effective_at: datetime | None, actor: str, channel: str,
    ) -> None:
        self._ensure_open()
        value = check_finite(value, "value")
        if self.kind == "binary" and value not in (0.0, 1.0):
            raise InvalidInput("a binary key result takes 0 or 1", field="value")
        when = AT_RECORDING if effective_at is None else check_instant(effective_at, "effective_at")
        if when > clock.now():
            raise InvalidInput("effective_at must not be in the future", field="effective_at")
        self._checked_in(
            value=value, confidence=check_unit_interval(confidence, "confidence"),
            note=check_text(note, "note"), effective_at=when, actor=actor,
            channel=check_channel(channel),
        )

    @event(CheckedIn)
    def _checked_in(
        self, value: float, confidence: float | None, note: str | None, effective_at: datetime,
        actor: str, channel: str,
    ) -> None:
        self.check_ins += 1
        # Ties on effective_at go to the later recorded check-in (contract section 2).
        if self.current_effective_at is None or effective_at >= self.current_effective_at:
            self.current = value
            self.confidence = confidence
            self.current_effective_at = effective_at

    def on_recorded(self, stamps: Sequence[tuple[Any, datetime]]) -> bool:
        """A defaulted `effective_at` is the recorded time: the current one takes it too."""
        super().on_recorded(stamps)
        defaulted = [(e, t) for e, t in stamps if _defaulted(e)]
        for checked_in, moment in defaulted:
            if self.current_effective_at == checked_in.timestamp:
                self.current_effective_at = moment
                break
        # A later explicit effective_at was compared with a provisional time, which the
        # store may have moved past it: the stored events decide.
        first = next((e.originator_version for e, _ in defaulted), None)
        return first is None or not any(
            e.originator_version > first and hasattr(e, "effective_at") and not _defaulted(e)
            for e, _ in stamps)

    def grade(self, score: float, note: str | None, actor: str) -> None:
        self._ensure_open()
        checked = check_unit_interval(score, "score")
        assert checked is not None
        self._graded(score=checked, note=check_text(note, "note"), actor=actor)

    @event("Graded")
    def _graded(self, score: float, note: str | None, actor: str) -> None:
        self.score = score
        self.graded_by_hand = True

    def close(self, actor: str) -> None:
        """Freeze at cycle close; score = progress unless graded by hand."""
        self._ensure_open()
        score = self.score if self.graded_by_hand and self.score is not None else self.progress
        self._closed(score=score, actor=actor)

    @event("Closed")
    def _closed(self, score: float, actor: str) -> None:
        self.score = score
        self.closed = True

    def _check_target(self, target: float) -> None:
        if self.kind == "binary":
            raise InvalidInput("the target of a binary key result is fixed", field="target")
        if target == self.start:
            raise InvalidInput("target must differ from start", field="target")


def _defaulted(event: Any) -> bool:
    return bool(getattr(event, "effective_at", None) == event.timestamp)

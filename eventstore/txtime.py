"""Transaction time: the store, not the deciding process, gives each event its `recorded_at`.

The library encodes an event's state before the recorder runs, with the time the command was
decided (a provisional time, the placeholder). The recorder assigns the real time under the
event table's lock, strictly after the last event's, and rewrites the placeholder in the state
bytes to it, so the stored state and the `recorded_at` column always agree. A check-in whose
`effective_at` was defaulted carries the same placeholder there and takes the same time.

What the recorder needs from each state is read here, from the bytes the JSON transcoder
writes: the state opens with the event's `timestamp`, and a datetime is always
`{"_type_":"datetime_iso","_data_":"<isoformat>"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TICK = timedelta(microseconds=1)
STAMP = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
EFFECTIVE = b'"effective_at":{"_type_":"datetime_iso","_data_":"'
DATA = b'"_data_":"'
# The SQLSTATEs of the insert function's refusals (translated into the errors below).
LOADING_SQLSTATE = "OKRLD"
LOAD_REFUSED_SQLSTATE = "OKRLR"
LEGACY_SQLSTATE = "OKRLG"


class StoreLoading(Exception):
    """`okr demo` (or an import) is writing past times into the store: retry later."""


class LoadRefused(Exception):
    """A loading session broke its rules: not an empty store, or times not strictly
    increasing, not after the last event's, or in the future."""


class LegacyStore(Exception):
    """The store holds events written before transaction time: run `okr upgrade` once."""


@dataclass(frozen=True)
class Provisional:
    """What the recorder reads from one encoded state."""

    placeholder: str  # the time the state was encoded with
    not_before: str | None  # an explicit effective_at: recorded_at may not be earlier


def provisional(state: bytes) -> Provisional:
    """The placeholder time of `state`, and its explicit `effective_at` if it has one.

    An `effective_at` equal to the placeholder is the defaulted one (the domain never
    encodes an explicit one equal to the event's own time; see `domain.base`).
    """
    if not state.startswith(STAMP):
        raise ValueError("an event state must open with its timestamp (uncompressed JSON)")
    end = state.index(b'"', len(STAMP))
    placeholder = state[len(STAMP):end]
    found = state.find(EFFECTIVE, end)
    not_before = None
    if found >= 0:
        start = found + len(EFFECTIVE)
        effective = state[start:state.index(b'"', start)]
        if effective != placeholder:
            not_before = effective.decode()
    return Provisional(placeholder.decode(), not_before)


def iso(moment: datetime) -> str:
    """The form the store writes: UTC, always six fractional digits (as PostgreSQL's
    `to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def restamp(state: bytes, placeholder: str, moment: datetime) -> bytes:
    """`state` with every datetime equal to `placeholder` set to `moment`."""
    old = DATA + placeholder.encode() + b'"'
    return state.replace(old, DATA + iso(moment).encode() + b'"')


def clock_times(
    base: datetime, not_before: Sequence[datetime | None],
) -> list[datetime]:
    """Times of events recorded together: from `base`, a microsecond apart, each no earlier
    than its explicit effective_at (the same rule as the insert function)."""
    times: list[datetime] = []
    for bound in not_before:
        moment = base if not times else times[-1] + TICK
        times.append(moment if bound is None else max(moment, bound))
    return times


def check_given(times: Iterable[datetime], last: datetime | None, now: datetime,
                not_before: Sequence[datetime | None]) -> None:
    """Refuse given times that are not strictly increasing after `last`, or in the future,
    or earlier than an explicit effective_at."""
    previous = last
    for moment, bound in zip(times, not_before, strict=True):
        if previous is not None and moment <= previous:
            raise LoadRefused(f"given time {iso(moment)} is not after {iso(previous)}")
        if moment > now:
            raise LoadRefused(f"given time {iso(moment)} is in the future")
        if bound is not None and moment < bound:
            raise LoadRefused(f"given time {iso(moment)} is before its effective_at")
        previous = moment


class Positions(list[int]):
    """The positions of events just recorded, with the `recorded_at` the store gave each."""

    def __init__(self, positions: Iterable[int], recorded_at: Iterable[datetime]) -> None:
        super().__init__(positions)
        self.recorded_at = list(recorded_at)


@contextmanager
def loading(app: Any) -> Iterator[None]:
    """Record past times into an empty store: each event at the time it was encoded with
    (the domain clock's, as `okr demo` installs it), strictly increasing, none in the
    future. Meanwhile other writers are refused and reads answer 503 (`StoreLoading`)."""
    session = getattr(app.recorder, "loading_session", None)
    if session is None:
        raise LoadRefused("this event store cannot record given times")
    with session():
        yield

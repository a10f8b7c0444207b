"""The source of `recorded_at` for every event.

The system clock in normal use; `okr demo` installs a controllable clock to record
history at past times. Times are always timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(tz=UTC)


_clock: Clock = system_clock


def now() -> datetime:
    """The current time as the domain sees it."""
    return _clock()


@contextmanager
def clock_installed(clock: Clock) -> Iterator[None]:
    """Use `clock` for every event recorded inside the block (process-wide)."""
    global _clock  # noqa: PLW0603 - one process-wide clock is the point
    previous, _clock = _clock, clock
    try:
        yield
    finally:
        _clock = previous

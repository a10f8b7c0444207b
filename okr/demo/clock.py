"""A controllable clock for recording history at past times (`domain.clock.clock_installed`).

The generator moves the simulated time forward; every reading is strictly later than the
previous one (at least `tick` later) and never later than the real time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from domain.clock import Clock, system_clock

TICK = timedelta(milliseconds=1)


class SimulatedClock:
    """Callable clock: `max(simulated time, previous reading + tick)`, capped at real now."""

    def __init__(self, start: datetime, *, tick: timedelta = TICK,
                 real_clock: Clock = system_clock) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware start")
        self.tick = tick
        self.real_clock = real_clock
        self._simulated = start.astimezone(UTC)
        self._last: datetime | None = None

    @property
    def simulated(self) -> datetime:
        return self._simulated

    @property
    def last(self) -> datetime | None:
        """The latest time handed out, if any."""
        return self._last

    def advance_to(self, when: datetime) -> None:
        """Move the simulated time forward to `when` (never backwards)."""
        self._simulated = max(self._simulated, when.astimezone(UTC))

    def __call__(self) -> datetime:
        candidate = self._simulated if self._last is None else max(
            self._simulated, self._last + self.tick
        )
        candidate = self._not_after_real_now(candidate)
        self._last = candidate
        return candidate

    def _not_after_real_now(self, candidate: datetime) -> datetime:
        # Simulated time runs up to the real present; once it would overtake it, follow
        # the real clock (waiting for it to move on when two readings would tie).
        real = self.real_clock()
        if candidate <= real:
            return candidate
        while self._last is not None and real <= self._last:
            time.sleep(0.0005)
            real = self.real_clock()
        return real

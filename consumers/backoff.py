"""Waiting between retries while a broker or database is away."""

from __future__ import annotations


class Backoff:
    """Exponential delays from `initial`, doubled per failure, capped at `maximum`."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum = initial, maximum
        self._next = initial

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial

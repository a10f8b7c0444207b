"""Progress and score arithmetic (contract section 1)."""

from __future__ import annotations

from collections.abc import Iterable


def kr_progress(start: float, target: float, current: float | None) -> float:
    """clamp((current - start) / (target - start), 0, 1); `start` when never checked in."""
    value = start if current is None else current
    span = target - start
    if span == 0:
        return 0.0
    return min(1.0, max(0.0, (value - start) / span))


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float:
    """Mean of `(value, weight)` pairs weighted by weight; 0 when there are none."""
    total = weight_sum = 0.0
    for value, weight in pairs:
        total += value * weight
        weight_sum += weight
    return total / weight_sum if weight_sum > 0 else 0.0

"""Progress and score arithmetic (contract section 1).

Both functions hold for every finite double: no intermediate value overflows to inf or nan,
and a mean does not depend on the order of its terms (`math.fsum` rounds the exact sum once),
so a read that lists key results in another order computes the same progress.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# Progress values closer than this are the same (contract: nothing unchanged is reported as
# changed); far below what any display or decision uses.
PROGRESS_TOLERANCE = 1e-9


def kr_progress(start: float, target: float, current: float | None) -> float:
    """clamp((current - start) / (target - start), 0, 1); `start` when never checked in."""
    value = start if current is None else current
    span, done = target - start, value - start
    if not (math.isfinite(span) and math.isfinite(done)):
        # Differences of doubles near the largest ones overflow; halves never do.
        span, done = target / 2 - start / 2, value / 2 - start / 2
    if span == 0:
        return 0.0
    return min(1.0, max(0.0, done / span))


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float:
    """Mean of `(value, weight)` pairs weighted by weight; 0 when there are none."""
    terms = list(pairs)
    heaviest = max((weight for _, weight in terms), default=0.0)
    if not heaviest > 0:
        return 0.0
    # Weights relative to the heaviest: sums of huge weights cannot overflow.
    shares = [(value, weight / heaviest) for value, weight in terms]
    return math.fsum(value * share for value, share in shares) / math.fsum(
        share for _, share in shares)


def same_progress(a: float, b: float) -> bool:
    """Whether two progress values are equal within PROGRESS_TOLERANCE."""
    return abs(a - b) <= PROGRESS_TOLERANCE

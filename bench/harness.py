"""The benchmark harness: a loaded store, metrics measured against baselines in one run."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from eventstore import Store


@dataclass
class Result:
    """One metric: okr-ledger's value, the baseline's, and whether the goal is met."""

    value: float
    baseline: float | None
    goal: str
    unit: str
    ratio: float | None = None
    met: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    store: Store
    database_url: str
    scale: str
    cycles: list[str]
    load_rate: float = 0.0  # events/s of the bulk load that filled the store


Metric = Callable[[Context], Result]
REGISTRY: dict[str, Metric] = {}


def metric(name: str) -> Callable[[Metric], Metric]:
    def register(function: Metric) -> Metric:
        REGISTRY[name] = function
        return function
    return register


def p(samples: list[float], share: float) -> float:
    """The `share` percentile (0..1) of samples."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(share * 100) - 1]


def ratio_result(value: float, baseline: float, *, at_least: float | None = None,
                 at_most: float | None = None, unit: str, note: str = "") -> Result:
    ratio = value / baseline if baseline else float("inf")
    if at_least is not None:
        return Result(value, baseline, f"ratio >= {at_least}", unit, ratio, ratio >= at_least,
                      note)
    assert at_most is not None
    return Result(value, baseline, f"ratio <= {at_most}", unit, ratio, ratio <= at_most, note)


def bound_result(value: float, *, at_most: float, unit: str, note: str = "") -> Result:
    return Result(value, None, f"<= {at_most}", unit, None, value <= at_most, note)

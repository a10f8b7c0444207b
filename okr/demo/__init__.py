"""`okr demo`: a realistic organisation and several quarters of OKR history, generated.

`generate(app, seed=7, scale="demo")` is reusable (the benchmarks build their data with it).
"""

from okr.demo.clock import SimulatedClock
from okr.demo.generator import DemoSummary, StoreNotEmpty, generate, resolve_scale
from okr.demo.world import SCALES, Scale

__all__ = [
    "SCALES", "DemoSummary", "Scale", "SimulatedClock", "StoreNotEmpty", "generate",
    "resolve_scale",
]

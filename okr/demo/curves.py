"""How key results move over a quarter: progress profiles, values, confidence and notes."""

from __future__ import annotations

import random
from dataclasses import dataclass

PROFILES = ("on_track", "on_track", "ahead", "lagging", "late_surge", "stale", "flat")

NOTES = {
    "on_track": (
        "Steady week, on plan.", "Good momentum after the kickoff.",
        "Two deals moved forward; keeping the pace.", "Shipped the next slice as planned.",
        None,
    ),
    "ahead": (
        "Ahead of plan, we may raise the bar.", "Better than expected: early adopters love it.",
        None,
    ),
    "lagging": (
        "Blocked on a dependency from another team.", "Slower than hoped; re-planning.",
        "Two people out sick, we lost a week.", "Scope is bigger than we estimated.",
        None,
    ),
    "late_surge": (
        "Groundwork done, results should show soon.", "Quiet weeks, the launch is close.",
        "Finally landing, the numbers are moving.", None,
    ),
    "stale": ("Busy with incidents, will update next week.", None),
    "flat": ("No movement; we need help to unblock this.", "Still waiting on legal.", None),
}

CONFIDENCE = {
    "on_track": (0.65, 0.9), "ahead": (0.8, 0.95), "lagging": (0.25, 0.5),
    "late_surge": (0.4, 0.75), "stale": (0.45, 0.7), "flat": (0.1, 0.35),
}


@dataclass(frozen=True)
class Curve:
    """The progress a key result reaches by a fraction of its quarter."""

    profile: str
    finish: float  # progress at the end of the quarter
    stale_after: float  # fraction of the quarter after which nobody checks in any more

    def progress_at(self, fraction: float, rng: random.Random) -> float:
        shape: float = {
            "on_track": fraction ** 0.9, "ahead": fraction ** 0.6, "lagging": fraction,
            "late_surge": fraction ** 2.8, "stale": fraction ** 0.9, "flat": fraction * 0.3,
        }[self.profile]
        return max(0.0, shape * self.finish + rng.gauss(0.0, 0.025))


def draw_curve(rng: random.Random) -> Curve:
    profile = rng.choice(PROFILES)
    finish = {
        "on_track": rng.uniform(0.75, 1.05), "ahead": rng.uniform(1.0, 1.2),
        "lagging": rng.uniform(0.3, 0.6), "late_surge": rng.uniform(0.7, 1.05),
        "stale": rng.uniform(0.6, 0.9), "flat": rng.uniform(0.1, 0.4),
    }[profile]
    stale_after = rng.uniform(0.2, 0.5) if profile == "stale" else 1.1
    return Curve(profile, finish, stale_after)


def value_for(kind: str, start: float, target: float, progress: float) -> float:
    """The measured value at `progress`, rounded the way people report it."""
    if kind == "binary":
        return 1.0 if progress >= 0.95 else 0.0
    raw = start + progress * (target - start)
    span = abs(target - start)
    if kind == "percentage" or span >= 20:
        return float(round(raw))
    return round(raw, 2 if span < 2 else 1)


def confidence_for(profile: str, rng: random.Random) -> float:
    low, high = CONFIDENCE[profile]
    return round(rng.uniform(low, high), 2)


def note_for(profile: str, rng: random.Random) -> str | None:
    return rng.choice(NOTES[profile])

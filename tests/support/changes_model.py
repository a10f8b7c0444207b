"""A model of a cycle built from the commands that succeeded, and `changes` computed from it
the way the contract defines them (section 3, `GET /v1/changes`), with exact arithmetic.

It shares nothing with the read models: no events, no SQL, no `domain.progress`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any


@dataclass
class Objective:
    title: str
    owner: dict[str, str]
    parent: str | None
    archived: bool = False


@dataclass
class KeyResult:
    objective: str
    title: str
    start: float
    target: float
    weight: float
    owner: dict[str, str] | None = None
    check_ins: list[tuple[datetime, int, float]] = field(default_factory=list)


@dataclass
class Cycle:
    """The state of one cycle after each step, and every target change with its reason."""

    objectives: dict[str, Objective] = field(default_factory=dict)
    krs: dict[str, KeyResult] = field(default_factory=dict)
    retargets: list[tuple[int, str, str | None]] = field(default_factory=list)  # step, id
    snapshots: list[tuple[dict[str, Objective], dict[str, KeyResult]]] = field(
        default_factory=list)

    def snapshot(self) -> None:
        """Remember the state after the step just done (snapshot i: after i steps)."""
        self.snapshots.append((copy.deepcopy(self.objectives), copy.deepcopy(self.krs)))

    def retarget(self, kr_id: str, target: float, reason: str | None) -> None:
        kr = self.krs[kr_id]
        if target != kr.target:
            self.retargets.append((len(self.snapshots), kr_id, reason))
        kr.target = target

    def changes(self, i: int, j: int) -> dict[str, Any]:
        """What changed between the states after step i and after step j (i <= j)."""
        (objectives_a, krs_a), (objectives_b, krs_b) = self.snapshots[i], self.snapshots[j]
        both_o = [k for k in objectives_b if k in objectives_a]
        both_k = [k for k in krs_b if k in krs_a]
        progress_a, progress_b = _progress(objectives_a, krs_a), _progress(objectives_b, krs_b)
        return {
            "added": sorted([(k, "objective", o.title) for k, o in objectives_b.items()
                             if k not in objectives_a]
                            + [(k, "key_result", kr.title) for k, kr in krs_b.items()
                               if k not in krs_a]),
            "archived": sorted((k, o.title) for k, o in objectives_b.items()
                               if o.archived and not (k in objectives_a
                                                      and objectives_a[k].archived)),
            "realigned": sorted((k, objectives_a[k].parent, objectives_b[k].parent)
                                for k in both_o
                                if objectives_a[k].parent != objectives_b[k].parent),
            "reassigned": sorted(
                [(k, _key(objectives_a[k].owner), _key(objectives_b[k].owner)) for k in both_o
                 if objectives_a[k].owner != objectives_b[k].owner]
                + [(k, _key(krs_a[k].owner), _key(krs_b[k].owner)) for k in both_k
                   if krs_a[k].owner != krs_b[k].owner]),
            "retargeted": sorted((k, krs_a[k].target, krs_b[k].target,
                                  self._reason(k, i, j)) for k in both_k
                                 if krs_a[k].target != krs_b[k].target),
            "progress": {k: (progress_a[k], progress_b[k]) for k in progress_b
                         if k in progress_a and progress_a[k] != progress_b[k]},
        }

    def _reason(self, kr_id: str, i: int, j: int) -> str | None:
        """The reason of the latest target change of the KR after step i, up to step j."""
        reasons = [reason for step, k, reason in self.retargets if k == kr_id and i < step <= j]
        return reasons[-1]


def _key(owner: dict[str, str] | None) -> tuple[str, str] | None:
    return None if owner is None else (owner["type"], owner["id"])


def kr_progress(kr: KeyResult) -> Fraction:
    """clamp((current - start) / (target - start), 0, 1); current: the applicable check-in
    (greatest effective_at, ties to the later recorded), else start."""
    current = max(kr.check_ins)[2] if kr.check_ins else kr.start
    ratio = (Fraction(current) - Fraction(kr.start)) / (Fraction(kr.target)
                                                        - Fraction(kr.start))
    return min(Fraction(1), max(Fraction(0), ratio))


def _progress(objectives: dict[str, Objective], krs: dict[str, KeyResult]
              ) -> dict[str, Fraction]:
    """Every KR's progress, and every objective's: the weighted mean of its KRs' (0 with
    none)."""
    progress = {k: kr_progress(kr) for k, kr in krs.items()}
    for oid in objectives:
        mine = [(progress[k], Fraction(kr.weight)) for k, kr in krs.items()
                if kr.objective == oid]
        weights = sum(w for _, w in mine)
        progress[oid] = sum(p * w for p, w in mine) / weights if mine else Fraction(0)
    return progress

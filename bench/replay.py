"""The naive baseline: the alignment tree as of T by folding every stored event up to T."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.application import OkrApplication
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.progress import kr_progress, weighted_mean


def replay_tree(app: OkrApplication, cycle: str, t: datetime) -> list[dict[str, Any]]:
    objectives: dict[str, dict[str, Any]] = {}
    krs: dict[str, dict[str, Any]] = {}
    position = 0
    while batch := app.recorder.select_notifications(start=position, limit=5000,
                                                      inclusive_of_start=False):
        position = batch[-1].id
        for notification in batch:
            _apply(app.mapper.to_domain_event(notification), cycle, t, objectives, krs)
    return _nodes(objectives, krs)


def _apply(e: Any, cycle: str, t: datetime, objectives: dict[str, Any],
           krs: dict[str, Any]) -> None:
    if e.timestamp > t:
        return
    kind, oid = type(e), str(e.originator_id)
    if kind is Objective.Created and e.cycle_key == cycle:
        objectives[oid] = {"id": oid, "title": e.title, "parent": e.parent_id, "active": True}
    elif oid in objectives:
        if kind is Objective.Realigned:
            objectives[oid]["parent"] = e.parent_id
        elif kind is Objective.Archived:
            objectives[oid]["active"] = False
        elif kind is Objective.Edited and e.title:
            objectives[oid]["title"] = e.title
    elif kind is KeyResult.Created and e.cycle_key == cycle:
        krs[oid] = {"objective": str(e.objective_id), "start": e.start, "target": e.target,
                    "weight": e.weight, "best": None}
    elif oid in krs:
        kr = krs[oid]
        if kind is KeyResult.Edited and e.target is not None:
            kr["target"] = e.target
        elif kind is KeyResult.CheckedIn and e.effective_at <= t and (
            kr["best"] is None or (e.effective_at, e.timestamp) >= kr["best"][:2]
        ):
            kr["best"] = (e.effective_at, e.timestamp, e.value)


def _nodes(objectives: dict[str, Any], krs: dict[str, Any]) -> list[dict[str, Any]]:
    progress: dict[str, list[tuple[float, float]]] = {}
    for kr in krs.values():
        current = None if kr["best"] is None else kr["best"][2]
        progress.setdefault(kr["objective"], []).append(
            (kr_progress(kr["start"], kr["target"], current), kr["weight"]))
    return [{"id": o["id"], "title": o["title"], "parent_id": o["parent"],
             "progress": weighted_mean(progress.get(k, []))}
            for k, o in objectives.items() if o["active"]]

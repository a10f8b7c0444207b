"""The test oracle: fold the stored events up to T into the alignment tree, naively."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.application import OkrApplication
from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.progress import kr_progress, weighted_mean


def stored_events(app: OkrApplication) -> list[Any]:
    notifications = app.recorder.select_notifications(start=1, limit=10**7)
    return [app.mapper.to_domain_event(n) for n in notifications]


def fold(app: OkrApplication, cycle: str, t: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """Objectives and KRs of `cycle` as known at `t` (check-ins kept as a list)."""
    objectives: dict[str, dict[str, Any]] = {}
    krs: dict[str, dict[str, Any]] = {}
    for e in stored_events(app):
        if e.timestamp > t:
            continue
        kind, oid = type(e), str(e.originator_id)
        if kind is Objective.Created and e.cycle_key == cycle:
            objectives[oid] = {"id": oid, "title": e.title, "owner": e.owner,
                               "parent": None if e.parent_id is None else str(e.parent_id),
                               "active": True}
        elif oid in objectives:
            o = objectives[oid]
            if kind is Objective.Edited and e.title is not None:
                o["title"] = e.title
            elif kind is Objective.Reassigned:
                o["owner"] = e.owner
            elif kind is Objective.Realigned:
                o["parent"] = None if e.parent_id is None else str(e.parent_id)
            elif kind is Objective.Archived:
                o["active"] = False
        elif kind is KeyResult.Created and e.cycle_key == cycle:
            krs[oid] = {"id": oid, "objective": str(e.objective_id), "title": e.title,
                        "start": e.start, "target": e.target, "weight": e.weight,
                        "check_ins": []}
        elif oid in krs:
            k = krs[oid]
            if kind is KeyResult.Edited:
                for field in ("title", "target", "weight"):
                    if getattr(e, field) is not None:
                        k[field] = getattr(e, field)
            elif kind is KeyResult.CheckedIn:
                k["check_ins"].append((e.effective_at, e.timestamp, e.originator_version, e.value))
    return objectives, krs


def current_value(kr: dict[str, Any], v: datetime) -> float | None:
    """The check-in with the greatest effective_at <= V; ties: the later recorded."""
    applicable = [c for c in kr["check_ins"] if c[0] <= v]
    return max(applicable, key=lambda c: c[:3])[3] if applicable else None


def cycle_known(app: OkrApplication, cycle: str, t: datetime) -> bool:
    """Whether the cycle had been created by T (else a tree as of T does not know it)."""
    return any(isinstance(e, Cycle.Created) and e.key == cycle and e.timestamp <= t
               for e in stored_events(app))


def oracle_tree(app: OkrApplication, cycle: str, t: datetime, v: datetime) -> list[Any]:
    objectives, krs = fold(app, cycle, t)
    nodes: dict[str, dict[str, Any]] = {}
    for o in objectives.values():
        if not o["active"]:
            continue
        mine = sorted((k for k in krs.values() if k["objective"] == o["id"]),
                      key=lambda k: (k["title"], k["id"]))
        shown = []
        for k in mine:
            current = current_value(k, v)
            shown.append({"id": k["id"], "title": k["title"], "current": current,
                          "target": k["target"],
                          "progress": kr_progress(k["start"], k["target"], current),
                          "weight": k["weight"]})
        nodes[o["id"]] = {
            "id": o["id"], "title": o["title"], "owner": o["owner"], "parent": o["parent"],
            "progress": weighted_mean((k["progress"], k["weight"]) for k in shown),
            "key_results": [{x: k[x] for x in ("id", "title", "current", "target", "progress")}
                            for k in shown],
            "children": [],
        }
    roots = []
    for node in sorted(nodes.values(), key=lambda n: (n["title"], n["id"])):
        parent = nodes.get(node.pop("parent") or "")
        (parent["children"] if parent else roots).append(node)
    return roots

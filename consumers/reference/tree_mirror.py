"""Reference consumer 1: the current alignment tree of every cycle, from the topic alone.

Tables `mirror_objectives` and `mirror_key_results` in the consumer's own database;
`alignment_tree(conn, cycle)` answers the contract's node shape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from consumers.events import ConsumedEvent
from consumers.toolkit import Handler, by_public_type
from domain.base import EventClass
from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from domain.progress import kr_progress, weighted_mean
from eventstore.database import one_at_a_time

DDL = """
CREATE TABLE IF NOT EXISTS mirror_objectives (
    id uuid PRIMARY KEY,
    cycle_key text NOT NULL,
    title text NOT NULL,
    owner jsonb NOT NULL,
    parent_id uuid,
    status text NOT NULL DEFAULT 'active'
);
CREATE INDEX IF NOT EXISTS mirror_objectives_cycle ON mirror_objectives (cycle_key);
CREATE TABLE IF NOT EXISTS mirror_key_results (
    id uuid PRIMARY KEY,
    objective_id uuid NOT NULL,
    title text NOT NULL,
    start double precision NOT NULL,
    target double precision NOT NULL,
    weight double precision NOT NULL,
    current double precision,
    current_effective_at timestamptz,
    current_position bigint
);
CREATE INDEX IF NOT EXISTS mirror_key_results_objective ON mirror_key_results (objective_id);
"""
Cur = psycopg.Cursor[Any]


def _d(event: ConsumedEvent) -> dict[str, Any]:
    return event.data.model_dump(mode="json")


def objective_created(event: ConsumedEvent, cur: Cur) -> None:
    d = _d(event)
    cur.execute(
        "INSERT INTO mirror_objectives (id, cycle_key, title, owner, parent_id) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (event.aggregate_id, d["cycle_key"], d["title"], Jsonb(d["owner"]), d["parent_id"]),
    )


def objective_edited(event: ConsumedEvent, cur: Cur) -> None:
    cur.execute("UPDATE mirror_objectives SET title = coalesce(%s, title) WHERE id = %s",
                (_d(event)["title"], event.aggregate_id))


def objective_reassigned(event: ConsumedEvent, cur: Cur) -> None:
    cur.execute("UPDATE mirror_objectives SET owner = %s WHERE id = %s",
                (Jsonb(_d(event)["owner"]), event.aggregate_id))


def objective_realigned(event: ConsumedEvent, cur: Cur) -> None:
    cur.execute("UPDATE mirror_objectives SET parent_id = %s WHERE id = %s",
                (_d(event)["parent_id"], event.aggregate_id))


def objective_archived(event: ConsumedEvent, cur: Cur) -> None:
    cur.execute("UPDATE mirror_objectives SET status = 'archived' WHERE id = %s",
                (event.aggregate_id,))


def key_result_created(event: ConsumedEvent, cur: Cur) -> None:
    d = _d(event)
    cur.execute(
        "INSERT INTO mirror_key_results (id, objective_id, title, start, target, weight) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (event.aggregate_id, d["objective_id"], d["title"], d["start"], d["target"],
         d["weight"]),
    )


def key_result_edited(event: ConsumedEvent, cur: Cur) -> None:
    d = _d(event)
    cur.execute(
        "UPDATE mirror_key_results SET title = coalesce(%s, title), "
        "target = coalesce(%s, target), weight = coalesce(%s, weight) WHERE id = %s",
        (d["title"], d["target"], d["weight"], event.aggregate_id),
    )


def key_result_checked_in(event: ConsumedEvent, cur: Cur) -> None:
    """The applicable check-in: greatest effective_at, ties to the later recorded."""
    d = _d(event)
    cur.execute(
        "UPDATE mirror_key_results SET current = %(value)s, current_effective_at = %(at)s, "
        "current_position = %(position)s WHERE id = %(id)s AND (current_effective_at IS NULL "
        "OR (current_effective_at, current_position) <= (%(at)s::timestamptz, %(position)s))",
        {"value": d["value"], "at": d["effective_at"], "position": event.position,
         "id": event.aggregate_id},
    )


HANDLERS: dict[EventClass, Handler] = {
    Objective.Created: objective_created,
    Objective.Edited: objective_edited,
    Objective.Reassigned: objective_reassigned,
    Objective.Realigned: objective_realigned,
    Objective.Archived: objective_archived,
    KeyResult.Created: key_result_created,
    KeyResult.Edited: key_result_edited,
    KeyResult.CheckedIn: key_result_checked_in,
}
# The current tree only: no organisation, cycles, history of links, grades or closing.
IGNORES: frozenset[EventClass] = frozenset({
    Team.Created, Person.Created, Person.MovedTeam,
    Cycle.Created, Cycle.Closed, Cycle.PlanEntryRecorded,
    Objective.KeyResultAdded, Objective.Closed,
    KeyResult.Reassigned, KeyResult.Graded, KeyResult.Closed,
})


class TreeMirror:
    """The ConsumerApp of the tree mirror."""

    name = "tree-mirror"
    ignores = IGNORES

    def setup(self, conn: psycopg.Connection[Any]) -> None:
        with one_at_a_time(conn, "mirror_ddl"):
            conn.execute(DDL)

    def reset(self, cur: Cur) -> None:
        cur.execute("TRUNCATE mirror_objectives, mirror_key_results")

    def handled(self) -> Mapping[EventClass, Handler]:
        return HANDLERS

    def handlers(self) -> Mapping[str, Handler]:
        return by_public_type(HANDLERS)


def alignment_tree(conn: psycopg.Connection[Any], cycle: str) -> list[dict[str, Any]]:
    """Roots of the cycle: active objectives without an active parent, by title."""
    objectives = conn.execute(
        "SELECT id::text, title, owner, parent_id::text FROM mirror_objectives "
        "WHERE cycle_key = %s AND status = 'active'", (cycle,),
    ).fetchall()
    krs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    weights: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for kr_id, objective_id, title, start, target, weight, current in conn.execute(
        "SELECT k.id::text, k.objective_id::text, k.title, k.start, k.target, k.weight, "
        "k.current FROM mirror_key_results k JOIN mirror_objectives o ON o.id = k.objective_id "
        "WHERE o.cycle_key = %s ORDER BY k.title, k.id", (cycle,),
    ):
        progress = kr_progress(start, target, current)
        krs[objective_id].append({"id": kr_id, "title": title, "current": current,
                                  "target": target, "progress": progress})
        weights[objective_id].append((progress, weight))
    nodes = {
        oid: {"id": oid, "title": title, "owner": owner,
              "progress": weighted_mean(weights[oid]), "key_results": krs[oid], "children": []}
        for oid, title, owner, _ in objectives
    }
    parents = {oid: parent for oid, _, _, parent in objectives}
    roots: list[dict[str, Any]] = []
    for node in sorted(nodes.values(), key=lambda n: (n["title"], n["id"])):
        parent = nodes.get(parents[node["id"]] or "")
        (parent["children"] if parent is not None else roots).append(node)
    return roots

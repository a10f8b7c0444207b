"""Who made the changes of a cycle between two instants: `changes` with actors and reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from domain.event_types import event_type_of
from domain.key_result import KeyResult
from domain.objective import Objective
from projections.alignment import ALIGNMENT
from projections.audit import AUDIT
from projections.reports import changes

Conn = psycopg.Connection[Any]
# The events behind each group of `changes` (progress: a KR's check-ins).
GROUP_EVENTS: dict[str, tuple[str, ...]] = {
    "added": (event_type_of(Objective.Created), event_type_of(KeyResult.Created)),
    "archived": (event_type_of(Objective.Archived),),
    "realigned": (event_type_of(Objective.Realigned),),
    "reassigned": (event_type_of(Objective.Reassigned), event_type_of(KeyResult.Reassigned)),
    "retargeted": (event_type_of(KeyResult.Edited),),
    "progress": (event_type_of(KeyResult.CheckedIn),),
}
# Per entity and event type in (since, until]: the latest actor and reason, and how many.
LATEST = f"""
    SELECT DISTINCT ON (entity_id, event_type) entity_id::text, event_type, actor, reason,
           recorded_at, count(*) OVER (PARTITION BY entity_id, event_type) AS times
    FROM {AUDIT.schema}.entries
    WHERE entity_id = ANY(%(ids)s::uuid[]) AND recorded_at > %(since)s
      AND recorded_at <= %(until)s
    ORDER BY entity_id, event_type, position DESC""".encode()
TITLES = f"""
    SELECT id::text, title, 'objective' FROM {ALIGNMENT.schema}.objective_versions
    WHERE cycle = %(cycle)s AND recorded_from <= %(t)s AND recorded_to > %(t)s
    UNION ALL
    SELECT id::text, title, 'key_result' FROM {ALIGNMENT.schema}.kr_versions
    WHERE cycle = %(cycle)s AND recorded_from <= %(t)s AND recorded_to > %(t)s""".encode()


def attributed_changes(
    conn: Conn, cycle: str, since: datetime, until: datetime
) -> dict[str, Any] | None:
    """`changes(cycle, since, until)`, each item with `by` (the latest actor of its kind of
    event in the window, or None), `reason` (kept when `changes` gives one), `times` (how
    many such events), `title` and `type` (objective or key_result, as of `until`);
    realignments also `from_title` and `to_title`."""
    found = changes(conn, cycle, since, until)
    if found is None:
        return None
    ids = list({item["id"] for group in GROUP_EVENTS for item in found[group]})
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    if ids:
        with conn.cursor(row_factory=dict_row) as cur:
            for row in cur.execute(LATEST, {"ids": ids, "since": since, "until": until}):
                latest[(row["entity_id"], row["event_type"])] = row
    titles = {row[0]: (row[1], row[2])
              for row in conn.execute(TITLES, {"cycle": cycle, "t": until})}
    attributed = dict(found)
    for group, event_types in GROUP_EVENTS.items():
        attributed[group] = [_titled(_attributed(item, latest, event_types), titles)
                             for item in found[group]]
    return attributed


def _titled(item: dict[str, Any], titles: dict[str, tuple[str, str]]) -> dict[str, Any]:
    title, kind = titles.get(item["id"], (None, None))
    titled = {**item, "title": item.get("title") or title, "type": item.get("type") or kind}
    if "from_parent" in item:
        titled["from_title"] = titles.get(item["from_parent"] or "", (None,))[0]
        titled["to_title"] = titles.get(item["to_parent"] or "", (None,))[0]
    return titled


def _attributed(
    item: dict[str, Any], latest: dict[tuple[str, str], dict[str, Any]],
    event_types: tuple[str, ...],
) -> dict[str, Any]:
    rows = [latest[(item["id"], t)] for t in event_types if (item["id"], t) in latest]
    row = max(rows, key=lambda r: r["recorded_at"]) if rows else None
    return {
        **item, "by": None if row is None else row["actor"],
        "reason": item.get("reason") or (None if row is None else row["reason"]),
        "times": sum(r["times"] for r in rows),
    }

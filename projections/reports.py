"""Derived reports: changes between two instants, quarter-over-quarter history, engagement."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from domain.errors import InvalidInput
from domain.progress import same_progress
from projections.alignment import ALIGNMENT
from projections.directory import DIRECTORY
from projections.timetravel import (
    ReadTime,
    cycle_key_results,
    cycle_objectives,
    objective_progress,
    owner_of,
)
from projections.tree import cycle_exists

Conn = psycopg.Connection[Any]
HIT_SCORE = 0.7
RECENT = timedelta(days=14)  # the window of `check_ins_14d`
A, D = ALIGNMENT.schema, DIRECTORY.schema  # the read models these reports read
# The reason of each KR's latest revision in (since, until] that changed its target.
RETARGET_REASONS = f"""
    SELECT DISTINCT ON (id) id, reason FROM (
        SELECT id, version, reason, recorded_from, target,
               lag(target) OVER (PARTITION BY id ORDER BY version) AS before
        FROM {A}.kr_versions WHERE id = ANY(%(ids)s::uuid[])) revisions
    WHERE recorded_from > %(since)s AND recorded_from <= %(until)s AND target <> before
    ORDER BY id, version DESC""".encode()
CYCLES = f"SELECT key, starts_on, ends_on, status FROM {D}.cycles ORDER BY starts_on, key".encode()
CHECK_IN_STATS = (
    "SELECT c.kr_id, count(*) AS total, max(c.recorded_at) AS last, "
    "count(*) FILTER (WHERE c.recorded_at > %(since)s) AS recent "
    f"FROM {A}.check_ins c JOIN {A}.kr_versions k "
    "ON k.id = c.kr_id AND k.version = 1 WHERE k.cycle = %(cycle)s "
    "AND c.recorded_at <= %(now)s GROUP BY c.kr_id"
).encode()
LINEAGE = (
    "WITH RECURSIVE chain(id, depth) AS (SELECT %s::uuid, 0 UNION ALL "
    "SELECT o.carried_from, chain.depth + 1 FROM chain "
    f"JOIN {A}.objective_versions o ON o.id = chain.id AND o.version = 1 "
    "WHERE o.carried_from IS NOT NULL AND chain.depth < 100) "
    "SELECT id FROM chain ORDER BY depth"
).encode()


def cycle_state(conn: Conn, cycle: str, at: ReadTime) -> tuple[dict[str, Any], dict[str, Any]]:
    krs = {kr["id"]: kr for kr in cycle_key_results(conn, cycle, at)}
    by_objective: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kr in krs.values():
        by_objective[kr["objective_id"]].append(kr)
    objectives = {
        str(row["id"]): {**row, "owner": owner_of(row), "progress":
                         objective_progress(by_objective[str(row["id"])])}
        for row in cycle_objectives(conn, cycle, at)
    }
    return objectives, krs


def _diff(
    before: dict[str, Any], after: dict[str, Any], field: str,
    same: Callable[[Any, Any], bool] = operator.eq,
) -> list[dict[str, Any]]:
    """`{id, from, to}` of the entities at both instants whose `field` is not the `same`."""
    return [
        {"id": key, "from": _plain(before[key][field]), "to": _plain(row[field])}
        for key, row in after.items()
        if key in before and not same(before[key][field], row[field])
    ]


def _plain(value: Any) -> Any:
    return str(value) if value is not None and not isinstance(value, str | int | float | dict) \
        else value


def changes(conn: Conn, cycle: str, since: datetime, until: datetime) -> dict[str, Any] | None:
    if since > until:
        raise InvalidInput("since must not be later than until", field="since")
    if not cycle_exists(conn, cycle, until):
        return None
    objectives_a, krs_a = cycle_state(conn, cycle, ReadTime.of(since, None))
    objectives_b, krs_b = cycle_state(conn, cycle, ReadTime.of(until, None))
    added = [{"id": k, "type": "objective", "title": o["title"]}
             for k, o in objectives_b.items() if k not in objectives_a]
    added += [{"id": k, "type": "key_result", "title": kr["title"]}
              for k, kr in krs_b.items() if k not in krs_a]
    archived = [{"id": k, "title": o["title"]} for k, o in objectives_b.items()
                if o["status"] == "archived"
                and objectives_a.get(k, {}).get("status") != "archived"]
    realigned = [{"id": d["id"], "from_parent": d["from"], "to_parent": d["to"]}
                 for d in _diff(objectives_a, objectives_b, "parent_id")]
    retargeted = _diff(krs_a, krs_b, "target")
    reasons = _retarget_reasons(conn, [d["id"] for d in retargeted], since, until)
    retargeted = [{**d, "reason": reasons.get(d["id"])} for d in retargeted]
    return {
        "cycle": cycle, "since": since.isoformat(), "until": until.isoformat(),
        "added": added, "archived": archived, "realigned": realigned,
        "reassigned": _diff(objectives_a, objectives_b, "owner") + _diff(krs_a, krs_b, "owner"),
        "retargeted": retargeted,
        "progress": _diff(objectives_a, objectives_b, "progress", same_progress)
        + _diff(krs_a, krs_b, "progress", same_progress),
    }


def _retarget_reasons(
    conn: Conn, ids: list[str], since: datetime, until: datetime
) -> dict[str, str | None]:
    """The reason of each KR's latest target change in the window, not of whatever revision
    (a reassignment, a new title) is current at `until`."""
    if not ids:
        return {}
    rows = conn.execute(RETARGET_REASONS, {"ids": ids, "since": since, "until": until})
    return {str(row[0]): row[1] for row in rows.fetchall()}


def _cycle_rows(conn: Conn, from_cycle: str | None, to_cycle: str | None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(CYCLES).fetchall()
    starts = {row["key"]: row["starts_on"] for row in rows}
    for name, key in (("from_cycle", from_cycle), ("to_cycle", to_cycle)):
        if key is not None and key not in starts:
            raise InvalidInput(f"unknown cycle {key}", field=name)
    low = starts[from_cycle] if from_cycle else date.min
    high = starts[to_cycle] if to_cycle else date.max
    return [row for row in rows if low <= row["starts_on"] <= high]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def check_in_stats(conn: Conn, cycle: str, now: datetime) -> dict[str, dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            CHECK_IN_STATS, {"cycle": cycle, "since": now - RECENT, "now": now}
        ).fetchall()
    return {str(row["kr_id"]): row for row in rows}


def _quarter(conn: Conn, cycle: str, owner: dict[str, str] | None) -> dict[str, Any]:
    objectives, krs = cycle_state(conn, cycle, ReadTime.of(None, None))
    chosen = {k: o for k, o in objectives.items()
              if o["status"] == "active" and (owner is None or o["owner"] == owner)}
    chosen_krs = [kr for kr in krs.values() if kr["objective_id"] in chosen]
    graded = [kr["score"] for kr in chosen_krs if kr["score"] is not None]
    stats = check_in_stats(conn, cycle, datetime.now(tz=UTC))
    return {
        "cycle": cycle, "objectives": len(chosen), "key_results": len(chosen_krs),
        "avg_progress": _mean([o["progress"] for o in chosen.values()]),
        "avg_score": _mean([o["score"] for o in chosen.values() if o["score"] is not None]),
        "hit_rate": _mean([1.0 if s >= HIT_SCORE else 0.0 for s in graded]),
        "check_ins": sum(int(stats[kr["id"]]["total"]) for kr in chosen_krs if kr["id"] in stats),
        "carried_in": sum(1 for o in chosen.values() if o["carried_from"] is not None),
    }


def history(
    conn: Conn, *, owner_type: str | None = None, owner_id: str | None = None,
    from_cycle: str | None = None, to_cycle: str | None = None,
) -> dict[str, Any]:
    if (owner_type is None) != (owner_id is None):
        raise InvalidInput("give both owner_type and owner_id, or neither", field="owner_id")
    owner = {"type": owner_type, "id": str(owner_id)} if owner_type and owner_id else None
    return {"items": [_quarter(conn, row["key"], owner)
                      for row in _cycle_rows(conn, from_cycle, to_cycle)]}


def lineage(conn: Conn, objective_id: str) -> list[str]:
    """The chain of objectives an objective was carried over from, newest first."""
    with conn.cursor() as cur:
        rows = cur.execute(LINEAGE, (objective_id,)).fetchall()
    return [str(row[0]) for row in rows]

"""Engagement and health per team in a cycle: alignment coverage, check-in activity, stale,
lagging and at risk KRs (the rules of domain/health.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import psycopg

from domain.health import Health, health, is_lagging, is_stale, pace
from projections.alignment import ALIGNMENT
from projections.directory import DIRECTORY
from projections.reports import check_in_stats, cycle_state
from projections.timetravel import ReadTime

Conn = psycopg.Connection[Any]
TEAMS = f"SELECT id FROM {DIRECTORY.schema}.teams ORDER BY name, id".encode()
PEOPLE_TEAMS = f"SELECT id, team_id FROM {DIRECTORY.schema}.people".encode()
CYCLE_DATES = f"SELECT starts_on, ends_on FROM {DIRECTORY.schema}.cycles WHERE key = %s".encode()
KRS_CREATED = (f"SELECT id, recorded_from FROM {ALIGNMENT.schema}.kr_versions "
               "WHERE cycle = %s AND version = 1").encode()


def _teams_and_people(conn: Conn) -> tuple[list[str], dict[str, str | None]]:
    teams = [str(r[0]) for r in conn.execute(TEAMS).fetchall()]
    people = {str(r[0]): None if r[1] is None else str(r[1])
              for r in conn.execute(PEOPLE_TEAMS).fetchall()}
    return teams, people


def _kr_created(conn: Conn, cycle: str) -> dict[str, datetime]:
    rows = conn.execute(KRS_CREATED, (cycle,)).fetchall()
    return {str(r[0]): r[1] for r in rows}


def _team_of(objective: dict[str, Any], people: dict[str, str | None]) -> str | None:
    owner = objective["owner"]
    return owner["id"] if owner["type"] == "team" else people.get(owner["id"])


def team_health(conn: Conn, cycle: str, now: datetime | None = None) -> dict[str, Any] | None:
    """Per team at `now`: the engagement figures, and the stale, lagging and at-risk KRs
    themselves, each with its last check-in and health."""
    row = conn.execute(CYCLE_DATES, (cycle,)).fetchone()
    if row is None:
        return None
    now = now or datetime.now(tz=UTC)
    expected = pace(row[0], row[1], now)
    teams, people = _teams_and_people(conn)
    objectives, krs = cycle_state(conn, cycle, ReadTime.of(now, None))
    stats, created = check_in_stats(conn, cycle, now), _kr_created(conn, cycle)
    by_team: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for objective in objectives.values():
        team = _team_of(objective, people)
        if objective["status"] == "active" and team is not None:
            by_team[team].append(objective)
    items = []
    for team in teams:
        owned = by_team.get(team, [])
        ids = {str(o["id"]) for o in owned}
        team_krs = [
            {**kr, "last_check_in_at": stats[kr["id"]]["last"] if kr["id"] in stats else None,
             "health": health(kr["progress"], expected, kr["confidence"])}
            for kr in krs.values() if kr["objective_id"] in ids
        ]
        lasts = [kr["last_check_in_at"] for kr in team_krs if kr["last_check_in_at"]]
        items.append({
            "team_id": team, "objectives": len(owned),
            "aligned_share": (sum(1 for o in owned if o["parent_id"] is not None) / len(owned)
                              if owned else None),
            "check_ins_14d": sum(int(stats[kr["id"]]["recent"]) for kr in team_krs
                                 if kr["id"] in stats),
            "last_check_in_at": max(lasts).isoformat() if lasts else None,
            "stale": [kr for kr in team_krs
                      if is_stale(kr["last_check_in_at"] or created.get(kr["id"], now), now)],
            "lagging": [kr for kr in team_krs if is_lagging(kr["progress"], expected)],
            "at_risk": [kr for kr in team_krs if kr["health"] is Health.AT_RISK],
            "health": {h.value: sum(1 for kr in team_krs if kr["health"] is h) for h in Health},
        })
    return {"cycle": cycle, "as_of": now.isoformat(), "pace": expected, "items": items}


def engagement(conn: Conn, cycle: str, now: datetime | None = None) -> dict[str, Any] | None:
    """`GET /v1/insights/engagement`: the figures of `team_health`, its KRs counted."""
    found = team_health(conn, cycle, now)
    if found is None:
        return None
    lists = ("stale", "lagging", "at_risk")
    items = [
        {**{k: v for k, v in item.items() if k not in (*lists, "health")},
         **{f"{name}_key_results": len(item[name]) for name in lists}}
        for item in found["items"]
    ]
    return {"cycle": cycle, "as_of": found["as_of"], "items": items}

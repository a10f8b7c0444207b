"""Engagement per team in a cycle: alignment coverage, check-in activity, stale, lagging and at
risk KRs (the rules of domain/health.py)."""

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


def engagement(conn: Conn, cycle: str, now: datetime | None = None) -> dict[str, Any] | None:
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
        owner = objective["owner"]
        team = owner["id"] if owner["type"] == "team" else people.get(owner["id"])
        if objective["status"] == "active" and team is not None:
            by_team[team].append(objective)
    items = []
    for team in teams:
        owned = by_team.get(team, [])
        ids = {o_id for o_id in (str(o["id"]) for o in owned)}
        team_krs = [kr for kr in krs.values() if kr["objective_id"] in ids]
        lasts = [stats[kr["id"]]["last"] for kr in team_krs if kr["id"] in stats]
        items.append({
            "team_id": team, "objectives": len(owned),
            "aligned_share": (sum(1 for o in owned if o["parent_id"] is not None) / len(owned)
                              if owned else None),
            "check_ins_14d": sum(int(stats[kr["id"]]["recent"]) for kr in team_krs
                                 if kr["id"] in stats),
            "last_check_in_at": max(lasts).isoformat() if lasts else None,
            "stale_key_results": sum(
                1 for kr in team_krs
                if is_stale(stats[kr["id"]]["last"] if kr["id"] in stats
                            else created.get(kr["id"], now), now)),
            "lagging_key_results": sum(1 for kr in team_krs
                                       if is_lagging(kr["progress"], expected)),
            "at_risk_key_results": sum(
                1 for kr in team_krs
                if health(kr["progress"], expected, kr["confidence"]) is Health.AT_RISK),
        })
    return {"cycle": cycle, "as_of": now.isoformat(), "items": items}

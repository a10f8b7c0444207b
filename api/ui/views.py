"""What the pages show, shaped from the queries' answers: names for ids, the current cycle,
marks on check-ins, chart series. Pure functions: the templates only loop and format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg

from api.auth import BOOTSTRAP_ACTOR
from api.ui.params import instant_text
from api.ui.templating import NONE
from projections import queries

Conn = psycopg.Connection[Any]
# A check-in whose effective time is this much before its recording is shown as back-dated.
BACK_DATED = timedelta(minutes=1)


@dataclass(frozen=True)
class Names:
    """Display names of teams and people, by id."""

    teams: dict[str, str]
    people: dict[str, str]

    @classmethod
    def load(cls, conn: Conn) -> Names:
        return cls({t["id"]: t["name"] for t in queries.teams(conn)},
                   {p["id"]: p["name"] for p in queries.people(conn)})

    def owner(self, owner: dict[str, str] | None) -> str:
        if owner is None:
            return NONE
        names = self.teams if owner["type"] == "team" else self.people
        return names.get(owner["id"], owner["id"])

    def actor(self, actor: str | None) -> str:
        if actor is None:
            return NONE
        if actor == BOOTSTRAP_ACTOR:
            return "admin (bootstrap token)"
        return self.people.get(actor, actor)

    def people_sorted(self) -> list[tuple[str, str]]:
        return sorted(self.people.items(), key=lambda item: (item[1], item[0]))

    def teams_sorted(self) -> list[tuple[str, str]]:
        return sorted(self.teams.items(), key=lambda item: (item[1], item[0]))


def current_cycle(cycles: list[dict[str, Any]], today: date) -> str | None:
    """The open cycle holding today, else the latest open one, else the latest."""
    day = today.isoformat()
    holding = [c for c in cycles if c["status"] == "open" and c["starts_on"] <= day
               <= c["ends_on"]]
    open_ones = [c for c in cycles if c["status"] == "open"]
    for candidates in (holding, open_ones, cycles):
        if candidates:
            return str(candidates[-1]["key"])
    return None


def named_nodes(nodes: list[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    """Tree nodes with `owner_name`, recursively."""
    return [{**node, "owner_name": names.owner(node["owner"]),
             "children": named_nodes(node["children"], names)} for node in nodes]


def marked_check_ins(items: list[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    """Check-ins (by effective time) with marks: a correction (recorded later for an
    effective time another check-in already had), superseded (corrected by a later one),
    back-dated (effective before it was recorded)."""
    times = [(datetime.fromisoformat(i["effective_at"]), datetime.fromisoformat(i["recorded_at"]))
             for i in items]
    first: dict[datetime, datetime] = {}
    last: dict[datetime, datetime] = {}
    for effective, recorded in times:
        first[effective] = min(first.get(effective, recorded), recorded)
        last[effective] = max(last.get(effective, recorded), recorded)
    marked = []
    for item, (effective, recorded) in zip(items, times, strict=True):
        marks = []
        if recorded > first[effective]:
            marks.append("correction")
        if recorded < last[effective]:
            marks.append("superseded")
        if not marks and recorded - effective > BACK_DATED:
            marks.append("back-dated")
        marked.append({**item, "marks": marks, "actor_name": names.actor(item["actor"])})
    return marked


def value_series(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per effective time: the value that applies from it (the latest recorded,
    so corrections replace what they correct)."""
    applying: dict[datetime, dict[str, Any]] = {}
    for item in items:
        effective = datetime.fromisoformat(item["effective_at"])
        known = applying.get(effective)
        if known is None or datetime.fromisoformat(item["recorded_at"]) >= \
                datetime.fromisoformat(known["recorded_at"]):
            applying[effective] = item
    return [{"x": instant_text(at), "y": applying[at]["value"]} for at in sorted(applying)]


def kr_chart(kr: dict[str, Any], items: list[dict[str, Any]], cycle: dict[str, Any]) -> dict[
        str, Any]:
    """The data of a KR's chart: its values over valid time, its start and its target over
    the cycle."""
    starts = datetime.combine(date.fromisoformat(cycle["starts_on"]), time.min, tzinfo=UTC)
    ends = datetime.combine(date.fromisoformat(cycle["ends_on"]), time.max, tzinfo=UTC)
    return {
        "title": kr["title"], "unit": kr["unit"], "points": value_series(items),
        "start": kr["start"], "target": kr["target"],
        "from": instant_text(starts), "to": instant_text(ends),
    }


def history_chart(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The quarter-over-quarter series of the history page."""
    return {
        "cycles": [item["cycle"] for item in items],
        "avg_progress": [item["avg_progress"] for item in items],
        "avg_score": [item["avg_score"] for item in items],
        "hit_rate": [item["hit_rate"] for item in items],
        "objectives": [item["objectives"] for item in items],
        "carried_in": [item["carried_in"] for item in items],
        "check_ins": [item["check_ins"] for item in items],
    }


def chrome(session: Any, names: Names, cycles: list[dict[str, Any]]) -> dict[str, Any]:
    """What every signed-in page's layout shows: who is signed in, links to the current
    cycle's views."""
    return {"session": session,
            "nav": {"cycle": current_cycle(cycles, datetime.now(tz=UTC).date()),
                    "who": names.actor(session.actor)}}


def change_text(value: Any, names: Names) -> str:
    """A value of an audit entry's `from` or `to`, as people read it."""
    if value is None:
        return NONE
    if isinstance(value, dict) and {"type", "id"} <= set(value):
        return names.owner(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or NONE
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


ENTITY_PAGES = {"objective": "/ui/objectives/", "key_result": "/ui/key-results/"}


def audit_rows(entries: list[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    """Audit entries with the actor's name, a link to the entity's page, and each change as
    `field: from -> to` texts."""
    return [
        {**entry, "actor_name": names.actor(entry["actor"]),
         "href": (ENTITY_PAGES[entry["entity_type"]] + entry["entity_id"]
                  if entry["entity_type"] in ENTITY_PAGES else None),
         "fields": [(field, change_text(change["from"], names),
                     change_text(change["to"], names))
                    for field, change in entry["changes"].items()]}
        for entry in entries
    ]

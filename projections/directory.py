"""Teams, people and cycles: the directory behind GET /v1/teams, /v1/people, /v1/cycles."""

from __future__ import annotations

from typing import Any

import psycopg

from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from eventstore.feed import RecordedEvent
from projections.base import ProjectionSpec, q

DDL = (
    """CREATE TABLE IF NOT EXISTS {s}.teams (
        id uuid PRIMARY KEY, name text NOT NULL, parent_id uuid,
        created_at timestamptz NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {s}.people (
        id uuid PRIMARY KEY, name text NOT NULL, email text NOT NULL, team_id uuid,
        created_at timestamptz NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS people_team ON {s}.people (team_id)",
    """CREATE TABLE IF NOT EXISTS {s}.cycles (
        key text PRIMARY KEY, id uuid NOT NULL, starts_on date NOT NULL, ends_on date NOT NULL,
        status text NOT NULL, closed_at timestamptz, created_at timestamptz)""",
    # Views built before it have NULL there ("known at any instant") until rebuilt.
    "ALTER TABLE {s}.cycles ADD COLUMN IF NOT EXISTS created_at timestamptz",
)

Cur = psycopg.Cursor[Any]


def team_created(cur: Cur, s: str, r: RecordedEvent) -> None:
    e = r.event
    cur.execute(q("INSERT INTO {s}.teams VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", s),
                (e.originator_id, e.name, e.parent_id, e.timestamp))


def person_created(cur: Cur, s: str, r: RecordedEvent) -> None:
    e = r.event
    cur.execute(
        q("INSERT INTO {s}.people VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", s),
        (e.originator_id, e.name, e.email, e.team_id, e.timestamp),
    )


def person_moved(cur: Cur, s: str, r: RecordedEvent) -> None:
    cur.execute(q("UPDATE {s}.people SET team_id = %s WHERE id = %s", s),
                (r.event.team_id, r.event.originator_id))


def cycle_created(cur: Cur, s: str, r: RecordedEvent) -> None:
    e = r.event
    cur.execute(
        q("INSERT INTO {s}.cycles (key, id, starts_on, ends_on, status, created_at) "
          "VALUES (%s, %s, %s, %s, 'open', %s) ON CONFLICT DO NOTHING", s),
        (e.key, e.originator_id, e.starts_on, e.ends_on, e.timestamp),
    )


def cycle_closed(cur: Cur, s: str, r: RecordedEvent) -> None:
    cur.execute(q("UPDATE {s}.cycles SET status = 'closed', closed_at = %s WHERE id = %s", s),
                (r.event.timestamp, r.event.originator_id))


DIRECTORY = ProjectionSpec(
    name="directory",
    ddl=DDL,
    handlers={
        Team.Created: team_created,
        Person.Created: person_created,
        Person.MovedTeam: person_moved,
        Cycle.Created: cycle_created,
        Cycle.Closed: cycle_closed,
    },
    ignores=frozenset({
        Cycle.PlanEntryRecorded,
        Objective.Created, Objective.Edited, Objective.Reassigned, Objective.Realigned,
        Objective.Archived, Objective.KeyResultAdded, Objective.Closed,
        KeyResult.Created, KeyResult.Edited, KeyResult.Reassigned, KeyResult.CheckedIn,
        KeyResult.Graded, KeyResult.Closed,
    }),
    rebuild_cost=0.1,  # a few events of every thousand concern it
)

"""Bitemporal rows of objectives and key results, and the check-ins by valid time.

Every change of an objective or KR closes its open row (`recorded_to` = the event's time)
and opens a new one, so the state as of any instant T is one indexed range lookup:
`recorded_from <= T < recorded_to`. Check-ins are rows of their own, looked up by
`(kr_id, effective_at, recorded_at)`; they never add KR rows, so as-of queries do not grow
with the number of check-ins.
"""

from __future__ import annotations

from typing import Any

import psycopg

from domain.base import EventClass
from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from eventstore.feed import RecordedEvent
from projections.base import Handler, ProjectionSpec, q

Cur = psycopg.Cursor[Any]

OBJECTIVE_COLUMNS = (
    "id", "version", "cycle", "title", "description", "owner_type", "owner_id", "parent_id",
    "status", "score", "carried_from", "closed", "reason", "recorded_from", "recorded_to",
)
KR_COLUMNS = (
    "id", "version", "objective_id", "cycle", "title", "kind", "start", "target", "unit",
    "weight", "owner_type", "owner_id", "score", "closed", "reason", "recorded_from",
    "recorded_to",
)

DDL = (
    """CREATE TABLE IF NOT EXISTS {s}.objective_versions (
        id uuid NOT NULL, version int NOT NULL, cycle text NOT NULL, title text NOT NULL,
        description text NOT NULL, owner_type text NOT NULL, owner_id uuid NOT NULL,
        parent_id uuid, status text NOT NULL, score double precision, carried_from uuid,
        closed boolean NOT NULL DEFAULT false, reason text,
        recorded_from timestamptz NOT NULL, recorded_to timestamptz NOT NULL DEFAULT 'infinity',
        PRIMARY KEY (id, version))""",
    """CREATE INDEX IF NOT EXISTS objective_versions_cycle_time
        ON {s}.objective_versions (cycle, recorded_to, recorded_from)""",
    """CREATE INDEX IF NOT EXISTS objective_versions_id_time
        ON {s}.objective_versions (id, recorded_to)""",
    """CREATE TABLE IF NOT EXISTS {s}.kr_versions (
        id uuid NOT NULL, version int NOT NULL, objective_id uuid NOT NULL, cycle text NOT NULL,
        title text NOT NULL, kind text NOT NULL, start double precision NOT NULL,
        target double precision NOT NULL, unit text, weight double precision NOT NULL,
        owner_type text, owner_id uuid, score double precision,
        closed boolean NOT NULL DEFAULT false, reason text,
        recorded_from timestamptz NOT NULL, recorded_to timestamptz NOT NULL DEFAULT 'infinity',
        PRIMARY KEY (id, version))""",
    """CREATE INDEX IF NOT EXISTS kr_versions_cycle_time
        ON {s}.kr_versions (cycle, recorded_to, recorded_from)""",
    """CREATE INDEX IF NOT EXISTS kr_versions_objective_time
        ON {s}.kr_versions (objective_id, recorded_to)""",
    "CREATE INDEX IF NOT EXISTS kr_versions_id_time ON {s}.kr_versions (id, recorded_to)",
    """CREATE TABLE IF NOT EXISTS {s}.check_ins (
        kr_id uuid NOT NULL, version int NOT NULL, value double precision NOT NULL,
        confidence double precision, note text, effective_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL, actor text NOT NULL, PRIMARY KEY (kr_id, version))""",
    # Ties on (effective_at, recorded_at) go to the later check-in, as in the aggregate.
    """CREATE INDEX IF NOT EXISTS check_ins_valid_time_version
        ON {s}.check_ins (kr_id, effective_at DESC, recorded_at DESC, version DESC)""",
    """CREATE INDEX IF NOT EXISTS check_ins_recorded_version
        ON {s}.check_ins (kr_id, recorded_at, version)""",
)


def _owner(owner: dict[str, str] | None) -> tuple[str | None, str | None]:
    return (owner["type"], owner["id"]) if owner else (None, None)


def _revise(
    cur: Cur, s: str, table: str, columns: tuple[str, ...], r: RecordedEvent,
    **changes: Any,
) -> None:
    """Close the open row of the entity at the event's time and open the changed copy."""
    e = r.event
    values = {
        "version": e.originator_version, "recorded_from": e.timestamp,
        "reason": getattr(e, "reason", None), **changes,
    }
    select = ", ".join(
        f"%({c})s" if c in values else ("'infinity'" if c == "recorded_to" else c)
        for c in columns
    )
    # Table and column names are this module's constants, never input.
    statement = (
        f"WITH prev AS (UPDATE {{s}}.{table} SET recorded_to = %(recorded_from)s "
        f"WHERE id = %(id)s AND recorded_to = 'infinity' RETURNING *) "
        f"INSERT INTO {{s}}.{table} ({', '.join(columns)}) SELECT {select} FROM prev"
    )
    cur.execute(q(statement, s), {**values, "id": e.originator_id})


def _insert_first(cur: Cur, s: str, table: str, e: Any, **fields: Any) -> None:
    """The first row of a new objective or KR; open until its next change."""
    owner_type, owner_id = _owner(e.owner)
    row = {"id": e.originator_id, "version": e.originator_version, "owner_type": owner_type,
           "owner_id": owner_id, "recorded_from": e.timestamp, **fields}
    # Table and column names are this module's constants, never input.
    statement = (f"INSERT INTO {{s}}.{table} ({', '.join(row)}) "
                 f"VALUES ({', '.join(['%s'] * len(row))})")
    cur.execute(q(statement, s), tuple(row.values()))


def objective_created(cur: Cur, s: str, r: RecordedEvent) -> None:
    e = r.event
    _insert_first(cur, s, "objective_versions", e, cycle=e.cycle_key, title=e.title,
                  description=e.description, parent_id=e.parent_id, status="active",
                  carried_from=e.carried_from)


def objective_edited(cur: Cur, s: str, r: RecordedEvent) -> None:
    changes = {k: getattr(r.event, k) for k in ("title", "description")
               if getattr(r.event, k) is not None}
    _revise(cur, s, "objective_versions", OBJECTIVE_COLUMNS, r, **changes)


def objective_reassigned(cur: Cur, s: str, r: RecordedEvent) -> None:
    owner_type, owner_id = _owner(r.event.owner)
    _revise(cur, s, "objective_versions", OBJECTIVE_COLUMNS, r,
            owner_type=owner_type, owner_id=owner_id)


def objective_realigned(cur: Cur, s: str, r: RecordedEvent) -> None:
    _revise(cur, s, "objective_versions", OBJECTIVE_COLUMNS, r, parent_id=r.event.parent_id)


def objective_archived(cur: Cur, s: str, r: RecordedEvent) -> None:
    _revise(cur, s, "objective_versions", OBJECTIVE_COLUMNS, r, status="archived")


def objective_kr_added(cur: Cur, s: str, r: RecordedEvent) -> None:
    _revise(cur, s, "objective_versions", OBJECTIVE_COLUMNS, r)


def objective_closed(cur: Cur, s: str, r: RecordedEvent) -> None:
    _revise(cur, s, "objective_versions", OBJECTIVE_COLUMNS, r, score=r.event.score,
            closed=True)


def kr_created(cur: Cur, s: str, r: RecordedEvent) -> None:
    e = r.event
    _insert_first(cur, s, "kr_versions", e, objective_id=e.objective_id, cycle=e.cycle_key,
                  title=e.title, kind=e.kind, start=e.start, target=e.target, unit=e.unit,
                  weight=e.weight)


def kr_edited(cur: Cur, s: str, r: RecordedEvent) -> None:
    changes = {k: getattr(r.event, k) for k in ("title", "target", "weight")
               if getattr(r.event, k) is not None}
    _revise(cur, s, "kr_versions", KR_COLUMNS, r, **changes)


def kr_reassigned(cur: Cur, s: str, r: RecordedEvent) -> None:
    owner_type, owner_id = _owner(r.event.owner)
    _revise(cur, s, "kr_versions", KR_COLUMNS, r, owner_type=owner_type, owner_id=owner_id)


def kr_graded(cur: Cur, s: str, r: RecordedEvent) -> None:
    _revise(cur, s, "kr_versions", KR_COLUMNS, r, score=r.event.score)


def kr_closed(cur: Cur, s: str, r: RecordedEvent) -> None:
    _revise(cur, s, "kr_versions", KR_COLUMNS, r, score=r.event.score, closed=True)


def _check_in_row(e: Any) -> tuple[Any, ...]:
    return (e.originator_id, e.originator_version, e.value, e.confidence, e.note,
            e.effective_at, e.timestamp, e.actor)


def kr_checked_in(cur: Cur, s: str, r: RecordedEvent) -> None:
    cur.execute(q("INSERT INTO {s}.check_ins VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", s),
                _check_in_row(r.event))


def apply_batch(cur: Cur, s: str, batch: list[RecordedEvent]) -> None:
    """Revisions in order, one statement each; check-ins, the bulk, in one COPY."""
    check_ins = []
    with cur.connection.pipeline():
        for recorded in batch:
            event_class = type(recorded.event)
            if event_class is KeyResult.CheckedIn:
                check_ins.append(_check_in_row(recorded.event))
            elif event_class in HANDLERS:
                HANDLERS[event_class](cur, s, recorded)
    if check_ins:
        with cur.copy(q("COPY {s}.check_ins FROM STDIN", s)) as copy:
            for row in check_ins:
                copy.write_row(row)


HANDLERS: dict[EventClass, Handler] = {
    Objective.Created: objective_created,
    Objective.Edited: objective_edited,
    Objective.Reassigned: objective_reassigned,
    Objective.Realigned: objective_realigned,
    Objective.Archived: objective_archived,
    Objective.KeyResultAdded: objective_kr_added,
    Objective.Closed: objective_closed,
    KeyResult.Created: kr_created,
    KeyResult.Edited: kr_edited,
    KeyResult.Reassigned: kr_reassigned,
    KeyResult.Graded: kr_graded,
    KeyResult.Closed: kr_closed,
    KeyResult.CheckedIn: kr_checked_in,
}
# Objectives and KRs only: the organisation and cycles are the directory's; the cycle's plan
# mirrors what objective events already say.
IGNORES = frozenset({
    Team.Created, Person.Created, Person.MovedTeam,
    Cycle.Created, Cycle.Closed, Cycle.PlanEntryRecorded,
})
ALIGNMENT = ProjectionSpec(
    name="alignment", ddl=DDL, handlers=HANDLERS, ignores=IGNORES, batch_handler=apply_batch
)

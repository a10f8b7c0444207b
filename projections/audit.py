"""The audit trail: one entry per event with field-level `{field: {from, to}}` changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
import psycopg

from domain.base import EventClass
from domain.cycle import Cycle
from domain.event_types import aggregate_type_of, event_type_of
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team
from eventstore.envelope import event_data, plain
from eventstore.feed import RecordedEvent
from projections.base import ProjectionSpec, q

DDL = (
    """CREATE TABLE IF NOT EXISTS {s}.entries (
        position bigint PRIMARY KEY, recorded_at timestamptz NOT NULL, actor text NOT NULL,
        entity_type text NOT NULL, entity_id uuid NOT NULL, event_type text NOT NULL,
        changes jsonb NOT NULL, reason text)""",
    "CREATE INDEX IF NOT EXISTS entries_entity ON {s}.entries (entity_id, position)",
    "CREATE INDEX IF NOT EXISTS entries_actor ON {s}.entries (actor, position)",
    "CREATE INDEX IF NOT EXISTS entries_time ON {s}.entries (recorded_at, position)",
    """CREATE TABLE IF NOT EXISTS {s}.entity_state (
        entity_id uuid PRIMARY KEY, state jsonb NOT NULL)""",
)

def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(text: str) -> Any:
    """JSON read back from a jsonb column, numbers as doubles again.

    jsonb keeps numbers as decimals and prints 1.7e308 as 309 digits, which the standard
    parser reads as an integer that no longer fits a double's JSON (orjson refuses it);
    orjson reads such a number as the double it was.
    """
    return orjson.loads(text)


Fields = Callable[[Any, dict[str, Any]], dict[str, Any]]
# The cycle's plan mirrors objectives (parent, owner, active): not a resource change.
BOOKKEEPING: frozenset[EventClass] = frozenset({Cycle.PlanEntryRecorded})
# A check-in is news even when it repeats the last value: its entry always shows `current`.
ALWAYS_SHOWN = frozenset({"current"})


def _given(*names: str) -> Fields:
    """The named event attributes that are not None."""
    return lambda e, _: {n: getattr(e, n) for n in names if getattr(e, n) is not None}


def _created(*names: str, **constants: Any) -> Fields:
    return lambda e, _: {**{n: getattr(e, n) for n in names}, **constants}


def _key_result_added(e: Any, state: dict[str, Any]) -> dict[str, Any]:
    return {"key_results": [*state.get("key_results", []), str(e.key_result_id)]}


def _payload(e: Any, _: dict[str, Any]) -> dict[str, Any]:
    """An event type added to the domain later: its payload, until it gets a mapping here."""
    return {k: v for k, v in event_data(e).items() if k not in ("actor", "reason")}


def _checked_in(e: Any, _: dict[str, Any]) -> dict[str, Any]:
    return {"current": e.value, "confidence": e.confidence, "effective_at": e.effective_at}


FIELDS: dict[EventClass, Fields] = {
    Team.Created: _created("name", "parent_id"),
    Person.Created: _created("name", "email", "team_id"),
    Person.MovedTeam: _given("team_id"),
    Cycle.Created: _created("key", "starts_on", "ends_on", status="open"),
    Cycle.Closed: lambda e, _: {"status": "closed"},
    Objective.Created: lambda e, _: {
        "cycle": e.cycle_key, "title": e.title, "description": e.description,
        "owner": e.owner, "parent_id": e.parent_id, "status": "active",
        "carried_from": e.carried_from,
    },
    Objective.Edited: _given("title", "description"),
    Objective.Reassigned: lambda e, _: {"owner": e.owner},
    Objective.Realigned: lambda e, _: {"parent_id": e.parent_id},
    Objective.Archived: lambda e, _: {"status": "archived"},
    Objective.KeyResultAdded: _key_result_added,
    Objective.Closed: _given("score"),
    KeyResult.Created: _created(
        "objective_id", "title", "kind", "start", "target", "unit", "weight", "owner"),
    KeyResult.Edited: _given("title", "target", "weight"),
    KeyResult.Reassigned: lambda e, _: {"owner": e.owner},
    KeyResult.CheckedIn: _checked_in,
    KeyResult.Graded: _given("score"),
    KeyResult.Closed: _given("score"),
}


def _entry(r: RecordedEvent, states: dict[UUID, dict[str, Any]]) -> tuple[Any, ...] | None:
    """The audit row of one event, updating the entity's known state in `states`."""
    e = r.event
    event_class = type(e)
    if event_class in BOOKKEEPING:
        return None
    fields = FIELDS.get(event_class, _payload)
    before = states.get(e.originator_id)
    known = before or {}
    after = {k: plain(v) for k, v in fields(e, known).items()}
    changes = {k: {"from": known.get(k), "to": v} for k, v in after.items()
               if before is None or known.get(k) != v or k in ALWAYS_SHOWN}
    states[e.originator_id] = {**known, **after}
    return (r.position, e.timestamp, e.actor, aggregate_type_of(e), e.originator_id,
            event_type_of(e), _dumps(changes), getattr(e, "reason", None))


def _copy_entries(
    cur: psycopg.Cursor[Any], s: str, batch: list[RecordedEvent],
    states: dict[UUID, dict[str, Any]],
) -> None:
    entries = [entry for r in batch if (entry := _entry(r, states)) is not None]
    # COPY in text format: the JSON of `changes` goes as text into its jsonb column.
    with cur.copy(q("COPY {s}.entries FROM STDIN", s)) as copy:
        for entry in entries:
            copy.write_row(entry)


def record_entries(cur: psycopg.Cursor[Any], s: str, batch: list[RecordedEvent]) -> None:
    """Read the batch's entities' states once, COPY the entries, write the states back."""
    ids = list({r.event.originator_id for r in batch})
    rows = cur.execute(q("SELECT entity_id, state::text FROM {s}.entity_state "
                         "WHERE entity_id = ANY(%s)", s), (ids,)).fetchall()
    states: dict[UUID, dict[str, Any]] = {row[0]: loads(row[1]) for row in rows}
    _copy_entries(cur, s, batch, states)
    changed = [(k, _dumps(v)) for k, v in states.items()]
    cur.executemany(q("INSERT INTO {s}.entity_state VALUES (%s, %s::jsonb) "
                      "ON CONFLICT (entity_id) DO UPDATE SET state = EXCLUDED.state", s),
                    changed)


class AuditRebuild:
    """A rebuild into an empty shadow: every entity's state stays in memory between batches
    (thousands of small dicts) and is written once, by COPY, at the end."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.states: dict[UUID, dict[str, Any]] = {}

    def apply(self, cur: psycopg.Cursor[Any], batch: list[RecordedEvent]) -> None:
        _copy_entries(cur, self.schema, batch, self.states)

    def finish(self, cur: psycopg.Cursor[Any]) -> None:
        with cur.copy(q("COPY {s}.entity_state (entity_id, state) FROM STDIN",
                        self.schema)) as copy:
            for entity_id, state in self.states.items():
                copy.write_row((entity_id, _dumps(state)))


def record_entry(cur: psycopg.Cursor[Any], s: str, r: RecordedEvent) -> None:
    record_entries(cur, s, [r])


AUDIT = ProjectionSpec(
    name="audit", ddl=DDL, handlers=dict.fromkeys(FIELDS, record_entry), ignores=BOOKKEEPING,
    batch_handler=record_entries, rebuild_session=AuditRebuild,
    rebuild_cost=2.0,
)

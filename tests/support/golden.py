"""The golden event log (tests/golden/): how it was made, and the reads it must answer.

`v1-log.ndjson` was exported by `okr export` from a small demo history recorded by the
release before `KeyResult.CheckedIn` v2 (every event type at least once);
`v1-expected.json` holds the reads that history gave then. Both are committed and never
regenerated: a later release must import the file and answer the same.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

from domain.event_types import event_classes, event_type_of, schema_versions, stored_event_type
from eventstore import Store
from okr.demo import Scale
from projections import queries as q

FOLDER = Path(__file__).parents[1] / "golden"
LOG = FOLDER / "v1-log.ndjson"
EXPECTED = FOLDER / "v1-expected.json"
SCALE = Scale(teams=2, people_per_team=2, quarters=2, company_objectives=1,
              objectives_per_team=2, person_objectives_per_team=1, key_results=(1, 2))
SEED = 11
NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)


def current_types(value: Any) -> Any:
    """Expected answers with every event type read at its current schema version: reads
    upcast older events, so the audit trail names `okr.key_result.checked_in.v2` for a
    check-in stored as v1 (docs/consumers.md). Nothing else may differ."""
    if isinstance(value, dict):
        return {key: current_types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [current_types(item) for item in value]
    return UPCAST_TYPES.get(value, value) if isinstance(value, str) else value


def cycles_known(answers: dict[str, Any]) -> dict[str, Any]:
    """Expected answers with the rule transaction time brought (issue 10, contract section
    2): a cycle is unknown as of an instant before it was created, so its tree as of that
    instant, and its changes until then, answer nothing (the release that wrote the log
    showed an empty tree). The events are read the same; only this answer changed."""
    created = {line["data"]["key"]: datetime.fromisoformat(line["time"])
               for line in map(orjson.loads, LOG.read_bytes().splitlines()[1:])
               if line["type"] == "okr.cycle.created.v1"}
    known = dict(answers)
    for name in answers:
        words = name.split(" ")
        if words[0] in ("tree", "changes") and len(words) > 3:
            instant = datetime.fromisoformat(words[3])  # tree: as_of; changes: until
            if instant < created[words[1]]:
                known[name] = None
    return known


UPCAST_TYPES = {stored_event_type(cls, version): event_type_of(cls)
                for cls in event_classes() for version in schema_versions(cls)
                if stored_event_type(cls, version) != event_type_of(cls)}


def plain(value: Any) -> Any:
    """JSON-ready: datetimes, UUIDs and the like as text, as the answers were written."""
    return orjson.loads(orjson.dumps(value, default=str))


def unordered(changes: dict[str, Any] | None) -> dict[str, Any] | None:
    """A changes report with its lists sorted (the report does not order them)."""
    if changes is None:
        return None
    return {key: sorted(value, key=orjson.dumps) if isinstance(value, list) else value
            for key, value in plain(changes).items()}


def instants_of(times: list[datetime]) -> list[datetime]:
    """A few instants spread over the history (and one before it)."""
    first, last = times[0], times[-1]
    return [first - timedelta(days=1),
            *(first + (last - first) * share for share in (0.2, 0.45, 0.7, 0.9)), last]


def audit_trail(conn: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = q.audit(conn, limit=500, cursor=cursor)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def answers(store: Store, instants: list[datetime], now: datetime = NOW) -> dict[str, Any]:
    """Trees (as of each instant, and valid a week earlier), changes between instants, the
    audit trail, history, engagement and the directory, as JSON values."""
    with store.pool.connection() as conn:
        cycles = [row["key"] for row in q.cycles(conn)]
        reads: dict[str, Any] = {
            "teams": q.teams(conn), "people": q.people(conn), "cycles": q.cycles(conn),
            "audit": audit_trail(conn), "history": q.history(conn),
        }
        for cycle in cycles:
            current = q.alignment_tree(conn, cycle)
            reads[f"tree {cycle}"] = current and {**current, "valid_at": "now"}
            reads[f"engagement {cycle}"] = q.engagement(conn, cycle, now)
            for t in instants:
                reads[f"tree {cycle} as_of {t.isoformat()}"] = q.alignment_tree(conn, cycle, t)
                valid = t - timedelta(days=7)
                reads[f"tree {cycle} as_of {t.isoformat()} valid_at {valid.isoformat()}"] = (
                    q.alignment_tree(conn, cycle, t, valid))
            for since, until in pairwise(instants):
                reads[f"changes {cycle} {since.isoformat()} {until.isoformat()}"] = (
                    unordered(q.changes(conn, cycle, since, until)))
    return plain(reads)

"""Names beside ids: of teams, people, cycles, objectives and key results, as of an instant.

Held in memory while a report streams: their number grows with the organisation, not with
the length of the history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from projections.alignment import ALIGNMENT
from projections.directory import DIRECTORY

A, D = ALIGNMENT.schema, DIRECTORY.schema
# The directory's names, then the latest revision recorded at or before T of each objective
# and key result.
NAMES = tuple(statement.encode() for statement in (
    f"SELECT id::text, name FROM {D}.teams UNION ALL SELECT id::text, name FROM {D}.people "
    f"UNION ALL SELECT id::text, key FROM {D}.cycles",
    *(f"SELECT DISTINCT ON (id) id::text, title FROM {A}.{table} WHERE recorded_from <= %(t)s "
      "ORDER BY id, recorded_from DESC" for table in ("objective_versions", "kr_versions")),
))


def names_at(conn: psycopg.Connection[Any], at: datetime) -> dict[str, str]:
    """Id -> name (title for objectives and key results, key for cycles) as of `at`."""
    names: dict[str, str] = {}
    for statement in NAMES:
        names.update((str(i), str(n)) for i, n in conn.execute(statement, {"t": at}))
    return names


def directory_names(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Id -> name of every team and person (their names never change) and cycle (its key)."""
    return {str(i): str(n) for i, n in conn.execute(NAMES[0])}

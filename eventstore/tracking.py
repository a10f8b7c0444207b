"""Tracked positions of every follower of the global log (projections, the relay).

A follower writes its rows and its new position in one transaction, so after any crash
it resumes exactly where its last committed batch ended.
"""

from __future__ import annotations

from typing import Any

import psycopg

from eventstore.database import one_at_a_time

TRACKING_DDL = """
CREATE TABLE IF NOT EXISTS okr_tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""


def ensure_tracking_table(conn: psycopg.Connection[Any]) -> None:
    with one_at_a_time(conn, "okr_tracking_ddl"):
        conn.execute(TRACKING_DDL)


def tracked_position(conn: psycopg.Connection[Any], name: str) -> int:
    row = conn.execute("SELECT position FROM okr_tracking WHERE name = %s", (name,)).fetchone()
    return int(row[0]) if row else 0


def record_position(cur: psycopg.Cursor[Any], name: str, position: int) -> None:
    """Advance `name` to `position` inside the caller's transaction; never moves back."""
    cur.execute(
        "INSERT INTO okr_tracking (name, position) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now() "
        "WHERE okr_tracking.position < EXCLUDED.position",
        (name, position),
    )

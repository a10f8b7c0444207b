"""Stores written before transaction time, and `okr upgrade`, the one step that adopts them.

Their events have no `recorded_at` column value: the time each was decided is only in its
state. A store whose events table was not empty when transaction time came is not
`adopted` (table `okrledger_clock`); until the upgrade, it refuses writes (`LegacyStore`)
and `okr` refuses to open it. The upgrade, in one transaction, copies each event's own
state time into the column (no state changes), counts the events recorded earlier than the
event before them (writers in several processes could do that before), and moves the
horizon past all of them, so every later event is recorded after every older one and their
instants are settled at once. When some are out of order, `okr_position_at` finds the last
position of an instant among them by a scan (timesql.py): the rule "the last position
recorded at or before T" holds for them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from eventstore.timesql import Names

STATE_TIME = "(convert_from(state, 'UTF8')::jsonb #>> '{{timestamp,_data_}}')::timestamptz"


@dataclass(frozen=True)
class UpgradeReport:
    filled: int  # events given the recorded_at their state holds
    out_of_order: int  # of them, recorded earlier than the event before them in the log


def legacy_events(conn: psycopg.Connection[Any], names: Names) -> int:
    """The events without a `recorded_at` of a store not upgraded yet (0: nothing to do)."""
    row = conn.execute(names.sql(
        "SELECT count(*) FROM {schema}.{table} WHERE recorded_at IS NULL "
        "AND NOT (SELECT adopted FROM {schema}.{clock})")).fetchone()
    return int(row[0]) if row else 0


def upgrade(conn: psycopg.Connection[Any], names: Names) -> UpgradeReport:
    """Give the events without a `recorded_at` the time in their state; see the module."""
    with conn.transaction():
        conn.execute(names.sql("LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE"))
        if not legacy_events(conn, names):
            return UpgradeReport(0, 0)
        filled = conn.execute(names.sql(
            "UPDATE {schema}.{table} SET recorded_at = " + STATE_TIME +
            " WHERE recorded_at IS NULL")).rowcount
        row = conn.execute(names.sql(
            "SELECT max(notification_id), max(recorded_at), count(*) FILTER (WHERE earlier) "
            "FROM (SELECT notification_id, recorded_at, recorded_at <= lag(recorded_at) "
            "OVER (ORDER BY notification_id) AS earlier FROM {schema}.{table}) s")).fetchone()
        assert row is not None
        last, latest, out_of_order = row
        conn.execute(names.sql(
            "UPDATE {schema}.{clock} SET adopted = true, "
            "horizon = greatest(horizon, clock_timestamp(), %s), "
            "legacy_last = CASE WHEN %s > 0 THEN %s END, "
            "legacy_until = CASE WHEN %s > 0 THEN %s END"),
            (latest, out_of_order, last, out_of_order, latest))
    return UpgradeReport(filled, int(out_of_order))

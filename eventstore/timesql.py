"""The SQL of transaction time: the insert function, the horizon, positions at an instant.

Every statement is built for one events table (`Names`); the recorder installs them with its
own (`eventstore/postgres.py`). Why each piece exists is in docs/projections.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha1

from psycopg.sql import SQL, Composed, Identifier, Literal

from eventstore.txtime import LEGACY_SQLSTATE, LOAD_REFUSED_SQLSTATE, LOADING_SQLSTATE

# An integrity-class SQLSTATE of our own, so the store reports it as `IntegrityError`.
STALE_READ = "23K01"
ISO_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'  # as eventstore.txtime.iso
MICROSECOND = "interval '1 microsecond'"


@dataclass(frozen=True)
class Names:
    """The identifiers the statements of one events table use."""

    schema: str
    table: str  # the events table, like okrledger_events
    event_type: str  # the composite type of one stored event
    id_type: str  # uuid or text
    channel: str
    lock_timeout: int

    @property
    def prefix(self) -> str:
        return self.table.removesuffix("_events")

    @property
    def insert_function(self) -> str:
        return f"okr_insert_events_{self.id_type}"

    @property
    def loading_key(self) -> int:
        """The advisory lock a loading session holds (a signed 64-bit key of the table)."""
        digest = sha1(f"okr-ledger loading {self.schema}.{self.table}".encode(),
                      usedforsecurity=False).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def sql(self, text: str) -> Composed:
        return SQL(text).format(
            schema=Identifier(self.schema), table=Identifier(self.table),
            event=Identifier(self.event_type), id_type=SQL(self.id_type),
            channel=Identifier(self.channel), channel_name=Literal(self.channel),
            lock_timeout=Literal(f"{self.lock_timeout}s"),
            clock=Identifier(f"{self.prefix}_clock"),
            results=Identifier(f"{self.prefix}_command_results"),
            index=Identifier(f"{self.table}_recorded_at"),
            insert_function=Identifier(self.insert_function),
            loading_key=Literal(self.loading_key),
            loading=Literal(LOADING_SQLSTATE), load_refused=Literal(LOAD_REFUSED_SQLSTATE),
            legacy=Literal(LEGACY_SQLSTATE), stale_read=Literal(STALE_READ),
            iso=Literal(ISO_FORMAT), microsecond=SQL(MICROSECOND),
        )


def table_statements(names: Names) -> list[Composed]:
    """The column, its index and the clock row (idempotent: also adds them to older stores,
    whose events keep a NULL `recorded_at` until `okr upgrade`). A row written around the
    store (plain SQL) also has none: it is skipped when looking for the last time."""
    return [names.sql(text) for text in (
        "ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS recorded_at timestamptz",
        "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} (recorded_at)",
        # `horizon`: the latest instant reported settled: no event is recorded at or before
        # it any more. `legacy_*`: set by `okr upgrade` when older events are out of order.
        # `adopted`: the store records transaction time (born with it, or `okr upgrade`d).
        "CREATE TABLE IF NOT EXISTS {schema}.{clock} (id boolean PRIMARY KEY DEFAULT true "
        "CHECK (id), horizon timestamptz NOT NULL DEFAULT '-infinity', "
        "legacy_last bigint, legacy_until timestamptz, adopted boolean NOT NULL)",
        "INSERT INTO {schema}.{clock} (id, adopted) SELECT true, NOT EXISTS "
        "(SELECT 1 FROM {schema}.{table}) ON CONFLICT DO NOTHING",
    )]


# Lock, check, time, stamp, insert, keyed results: one call, one transaction, few statements
# (each statement of a function costs more than the rows it handles). `given`: a loading
# session's times (the placeholders), else the database clock's.
INSERT_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{insert_function}(events {schema}.{event}[],
    placeholders text[], not_before timestamptz[], given boolean, read_ids {id_type}[],
    read_versions bigint[], result_owners text[], result_keys text[],
    result_fingerprints text[], results text[], result_last_events integer[])
RETURNS TABLE (event_position bigint, event_recorded_at timestamptz)
LANGUAGE plpgsql AS $BODY$
DECLARE unlocked boolean; stale boolean; adopted boolean; last_at timestamptz;
    base timestamptz;
BEGIN
SET LOCAL lock_timeout = {lock_timeout};
-- A loading session holds the advisory lock: then only given times, else only the clock.
-- Asked before the table lock (held to the commit once taken): an import holds the table
-- for its whole transaction, and a writer is to be refused at once, not queue behind it.
unlocked := pg_try_advisory_xact_lock_shared({loading_key});
IF unlocked = given THEN
    IF given THEN
        RAISE EXCEPTION 'no loading session holds the store' USING ERRCODE = {load_refused};
    END IF;
    RAISE EXCEPTION 'the store is loading (okr demo or import); retry later'
        USING ERRCODE = {loading};
END IF;
LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
-- The notification is dropped with the transaction if a check below refuses.
SELECT EXISTS (SELECT 1 FROM unnest(read_ids, read_versions) AS r(id, version)
            JOIN {schema}.{table} t ON t.originator_id = r.id
            AND t.originator_version > r.version),
    c.adopted, l.recorded_at,
    greatest(clock_timestamp(), l.recorded_at + {microsecond}, c.horizon + {microsecond})
INTO stale, adopted, last_at, base
FROM {schema}.{clock} c
LEFT JOIN LATERAL (SELECT t.recorded_at FROM {schema}.{table} t
                   WHERE t.recorded_at IS NOT NULL
                   ORDER BY t.notification_id DESC LIMIT 1) l ON true,
LATERAL pg_notify({channel_name}, '') n;
IF stale THEN
    RAISE EXCEPTION 'an aggregate read by these commands has changed'
        USING ERRCODE = {stale_read};
END IF;
IF NOT adopted THEN
    RAISE EXCEPTION 'this store holds events recorded before transaction time: run okr upgrade'
        USING ERRCODE = {legacy};
END IF;
IF given AND EXISTS (
        SELECT 1 FROM unnest(placeholders::timestamptz[], not_before) WITH ORDINALITY
            AS g(t, nb, i)
        WHERE g.t > clock_timestamp() OR g.t < g.nb
        OR g.t <= coalesce(placeholders[g.i - 1]::timestamptz, last_at)) THEN
    RAISE EXCEPTION 'given times must be past, strictly increasing, after the last event '
        'and not before their effective_at' USING ERRCODE = {load_refused};
END IF;
RETURN QUERY
WITH timed AS (
    SELECT e.*, CASE WHEN given THEN placeholders[e.i]::timestamptz
        -- t(i) = greatest(base + i µs, t(i-1) + 1 µs, not_before(i)): a running maximum.
        ELSE greatest(base, max(not_before[e.i] - (e.i - 1) * {microsecond})
                            OVER (ORDER BY e.i)) + (e.i - 1) * {microsecond} END AS t
    FROM unnest(events) WITH ORDINALITY AS e(originator_id, originator_version, topic, state, i)
), inserted AS (
    INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state, recorded_at)
    SELECT x.originator_id, x.originator_version, x.topic,
        CASE WHEN given THEN x.state ELSE convert_to(replace(convert_from(x.state, 'UTF8'),
            '"_data_":"' || placeholders[x.i] || '"',
            '"_data_":"' || to_char(x.t AT TIME ZONE 'UTC', {iso}) || '"'), 'UTF8') END,
        x.t
    FROM timed x ORDER BY x.i
    RETURNING notification_id, recorded_at
), keyed AS (
    -- Each keyed command's result, its position being that of its last event.
    INSERT INTO {schema}.{results} (owner, key, fingerprint, result)
    SELECT o, k, f, jsonb_set(r::jsonb, ARRAY['position'], to_jsonb(ids.all_ids[l + 1]))
    FROM unnest(result_owners, result_keys, result_fingerprints, results, result_last_events)
        AS y(o, k, f, r, l),
        (SELECT array_agg(notification_id ORDER BY notification_id) AS all_ids
         FROM inserted) ids
)
SELECT i.notification_id, i.recorded_at FROM inserted i ORDER BY i.notification_id;
END; $BODY$"""

# The last position recorded at or before `t` (an index probe); older stores upgraded with
# events out of order (`legacy_*`) scan those events for instants before their latest.
POSITION_AT_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.okr_position_at(t timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $BODY$
SELECT coalesce(CASE
    WHEN c.legacy_last IS NOT NULL AND t < c.legacy_until THEN
        (SELECT max(e.notification_id) FROM {schema}.{table} e
         WHERE e.notification_id <= c.legacy_last AND e.recorded_at <= t)
    ELSE greatest(c.legacy_last, (SELECT e.notification_id FROM {schema}.{table} e
         WHERE e.recorded_at <= t ORDER BY e.recorded_at DESC LIMIT 1))
    END, 0)
FROM {schema}.{clock} c
$BODY$"""

# Waits for the inserts in flight (SHARE conflicts with their EXCLUSIVE), then moves the
# horizon to the clock: every event that will ever be recorded at or before it is committed.
ADVANCE_HORIZON_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.okr_advance_horizon()
RETURNS TABLE (settled_until timestamptz, is_loading boolean)
LANGUAGE plpgsql AS $BODY$
BEGIN
SET LOCAL lock_timeout = {lock_timeout};
-- Losing the last horizon in a crash only matters if the clock also stepped back.
SET LOCAL synchronous_commit = off;
-- Before the table lock, which an import's transaction holds off until it commits.
IF NOT pg_try_advisory_xact_lock_shared({loading_key}) THEN
    RETURN QUERY SELECT c.horizon, true FROM {schema}.{clock} c;
    RETURN;
END IF;
LOCK TABLE {schema}.{table} IN SHARE MODE;
RETURN QUERY UPDATE {schema}.{clock} c SET horizon = greatest(c.horizon, clock_timestamp())
    RETURNING c.horizon, false;
END; $BODY$"""


# `okr_position_at(t)` once t is settled in the store (else NULL): the last event is recorded
# at or after t, or the horizon is (moved there if it can be). For callers in autocommit,
# like `okr report` (a repeatable-read snapshot would not see the horizon move).
SETTLED_POSITION_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.okr_settled_position(t timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $BODY$
BEGIN
IF NOT EXISTS (SELECT 1 FROM {schema}.{clock} c WHERE c.horizon >= t)
   AND NOT coalesce((SELECT e.recorded_at >= t FROM {schema}.{table} e
                     WHERE e.recorded_at IS NOT NULL
                     ORDER BY e.notification_id DESC LIMIT 1), false)
   AND NOT EXISTS (SELECT 1 FROM {schema}.okr_advance_horizon() h
                   WHERE NOT h.is_loading AND h.settled_until >= t) THEN
    RETURN NULL;
END IF;
RETURN {schema}.okr_position_at(t);
END; $BODY$"""


def function_statements(names: Names) -> list[Composed]:
    return [names.sql(text) for text in (
        POSITION_AT_FUNCTION, ADVANCE_HORIZON_FUNCTION, SETTLED_POSITION_FUNCTION,
        INSERT_FUNCTION)]


def dropped_functions(names: Names) -> list[Composed]:
    """Earlier insert functions of the same name (other arguments), dropped at start."""
    return [names.sql("DROP FUNCTION IF EXISTS {schema}.{insert_function}(" + arguments + ")")
            for arguments in (
                "{schema}.{event}[]",
                "{schema}.{event}[], {id_type}[], bigint[]",
                "{schema}.{event}[], {id_type}[], bigint[], text[], text[], text[], text[], "
                "integer[]",
            )]

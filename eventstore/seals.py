"""The integrity chain's seals: `hash(n) = SHA-256(hash(n-1) || canonical bytes of event n)`,
stored per position in `okr_integrity_seals`, in position order, by one sealer at a time.

Sealing follows the log like a projection: a batch of events after the tracked position
(`okr_tracking`, name `integrity:seals`), their seals and the new position in one
transaction, the tracking row locked meanwhile (two sealers never seal the same position;
a crash resumes after the last committed batch). It reads the log and writes only its own
table, so it never holds up a writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from psycopg import sql
from psycopg_pool import ConnectionPool

from eventstore.canonical import GENESIS, StoredRow, canonical_bytes
from eventstore.database import one_at_a_time
from eventstore.feed import EventFeed
from eventstore.tracking import record_position

TRACKING_NAME = "integrity:seals"
BATCH_SIZE = 2000
SEALS_DDL = (
    "CREATE TABLE IF NOT EXISTS okr_integrity_seals "
    "(position bigint PRIMARY KEY, hash bytea NOT NULL)",
    "INSERT INTO okr_tracking (name, position) VALUES ('integrity:seals', 0) "
    "ON CONFLICT DO NOTHING",
)


class ChainBroken(RuntimeError):
    """The seals table lost the seal the chain continues from: `okr verify` says more."""


@dataclass(frozen=True)
class Seal:
    position: int
    hash: bytes

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "hash": self.hash.hex()}


def link(previous: bytes, row: StoredRow, hashed: dict[str, Any] | None = None) -> bytes:
    """The chain's next hash: SHA-256 of the previous hash and the row's canonical bytes
    (of `hashed`, its canonical object, when the caller has built it already)."""
    return hashlib.sha256(previous + canonical_bytes(row, hashed)).digest()


def ensure_seals_table(conn: psycopg.Connection[Any]) -> None:
    with one_at_a_time(conn, "okr_integrity_ddl"):
        for statement in SEALS_DDL:
            conn.execute(statement.encode())


def seal_at(conn: psycopg.Connection[Any], position: int) -> Seal | None:
    """The seal of the event at `position`; position 0 is the chain's start (`hash(0)`)."""
    if position == 0:
        return Seal(0, GENESIS)
    row = conn.execute(
        "SELECT hash FROM okr_integrity_seals WHERE position = %s", (position,)
    ).fetchone()
    return None if row is None else Seal(position, bytes(row[0]))


def sealed_position(conn: psycopg.Connection[Any]) -> int:
    """The last sealed position (0: nothing sealed yet)."""
    row = conn.execute(
        "SELECT position FROM okr_tracking WHERE name = %s", (TRACKING_NAME,)
    ).fetchone()
    return int(row[0]) if row else 0


def head_seal(conn: psycopg.Connection[Any]) -> Seal:
    """The last seal (`Seal(0, hash(0))` when nothing is sealed)."""
    position = sealed_position(conn)
    seal = seal_at(conn, position)
    if seal is None:
        raise ChainBroken(f"the seal of the sealed position {position} is missing")
    return seal


def chain(previous: bytes, batch: Sequence[StoredRow]) -> list[bytes]:
    """The hashes of `batch`, continuing from `previous`."""
    hashes = []
    for row in batch:
        previous = link(previous, row)
        hashes.append(previous)
    return hashes


def seal_batch(pool: ConnectionPool[Any], feed: EventFeed, batch_size: int = BATCH_SIZE) -> int:
    """Seal the next batch of the log after the sealed position; the number sealed."""
    with pool.connection() as conn, conn.transaction():
        # Seals are derived from the log: a crash losing the last commits recomputes them.
        conn.execute("SET LOCAL synchronous_commit = off")
        row = conn.execute(
            "SELECT position FROM okr_tracking WHERE name = %s FOR UPDATE", (TRACKING_NAME,)
        ).fetchone()
        position = int(row[0]) if row else 0
        batch: Sequence[Notification] = feed.read_raw(position, batch_size)
        if not batch:
            return 0
        previous = seal_at(conn, position)
        if previous is None:
            raise ChainBroken(f"the seal of the sealed position {position} is missing")
        hashes = chain(previous.hash, batch)
        with conn.cursor() as cur:
            with cur.copy("COPY okr_integrity_seals (position, hash) FROM STDIN") as copy:
                for event, digest in zip(batch, hashes, strict=True):
                    copy.write_row((event.id, digest))
            record_position(cur, TRACKING_NAME, batch[-1].id)
        return len(batch)


def seal_all(pool: ConnectionPool[Any], feed: EventFeed) -> int:
    """Seal everything recorded so far, synchronously; the number of events sealed."""
    with pool.connection() as conn:
        ensure_seals_table(conn)
    total = 0
    while sealed := seal_batch(pool, feed):
        total += sealed
    return total


def events_table_name(feed: EventFeed) -> tuple[str, str]:
    """The log's table: (schema, name)."""
    recorder: Any = feed.app.recorder
    return recorder.datastore.schema or "public", recorder.events_table_name


def events_table(feed: EventFeed) -> sql.Composable:
    """The log's table, schema-qualified."""
    return sql.Identifier(*events_table_name(feed))


def sealed_rows(
    conn: psycopg.Connection[Any], feed: EventFeed, after: int, limit: int
) -> list[tuple[Notification, bytes]]:
    """Up to `limit` sealed events after `after`, in position order, each with its hash."""
    statement = sql.SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        "s.hash FROM okr_integrity_seals s JOIN {events} e ON e.notification_id = s.position "
        "WHERE s.position > %s ORDER BY s.position LIMIT %s").format(events=events_table(feed))
    rows = conn.execute(statement, (after, limit)).fetchall()
    return [
        (Notification(id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3],
                      state=bytes(r[4])), bytes(r[5]))
        for r in rows
    ]

"""Checking the log against its seals (`okr verify`): recompute the chain from the stored
events, in position order, and compare it with every seal, and with a hash kept elsewhere.

The events and the seals are read in one snapshot, through two server-side cursors merged by
position, so memory stays constant whatever the length of the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from psycopg import sql

from eventstore.canonical import GENESIS
from eventstore.seals import Seal, link

ITERSIZE = 5000
EXPECT = re.compile(r"(\d{1,18}):([0-9a-fA-F]{64})")


class StoredEventRow(NamedTuple):
    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class Expected:
    """A chain hash kept outside the database: `POSITION:HASH`."""

    position: int
    hash: bytes

    @classmethod
    def parse(cls, text: str) -> Expected:
        match = EXPECT.fullmatch(text.strip())
        if match is None:
            raise ValueError("expected POSITION:HASH, the hash as 64 hexadecimal digits")
        return cls(int(match[1]), bytes.fromhex(match[2]))


@dataclass(frozen=True)
class Verdict:
    """What the check found: the sealed head it verified, or the first bad position."""

    verified: int
    head: Seal
    unsealed: int = 0
    bad_position: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.bad_position is None

    def message(self) -> str:
        if not self.ok:
            return f"position {self.bad_position}: {self.reason}"
        return f"verified {self.verified} events, head {self.head.position} {self.head.hash.hex()}"


class _Failed(Exception):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position, self.reason = position, reason


Progress = Callable[[int], None]


def verify(
    conn: psycopg.Connection[Any], events_table: sql.Composable, *,
    expect: Expected | None = None, progress: Progress = lambda position: None,
) -> Verdict:
    """Recompute the chain over `events_table` on `conn` (its own transaction, repeatable
    read); `progress` is called with the position reached, every few thousand events."""
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    with conn.transaction():
        return _Check(expect, progress).run(conn, events_table)


class _Check:
    def __init__(self, expect: Expected | None, progress: Progress) -> None:
        self.expect, self.progress = expect, progress
        self.previous, self.head = GENESIS, Seal(0, GENESIS)
        self.verified = self.unsealed = 0
        self.expected_seen = expect is None

    def run(self, conn: psycopg.Connection[Any], events_table: sql.Composable) -> Verdict:
        row = conn.execute("SELECT coalesce(max(position), 0) FROM okr_integrity_seals").fetchone()
        last_sealed = int(row[0]) if row else 0
        try:
            for count, (event, seal) in enumerate(_merged(_events(conn, events_table),
                                                          _seals(conn)), 1):
                self.step(event, seal, last_sealed)
                if count % ITERSIZE == 0:
                    self.progress((event or seal).position)  # type: ignore[union-attr]
            if self.expect is not None and not self.expected_seen:
                raise _Failed(self.expect.position, "no stored event at the expected position")
        except _Failed as failure:
            return Verdict(self.verified, self.head, self.unsealed, failure.position,
                           failure.reason)
        return Verdict(self.verified, self.head, self.unsealed)

    def step(self, event: StoredEventRow | None, seal: Seal | None, last_sealed: int) -> None:
        if event is None:
            assert seal is not None
            raise _Failed(seal.position, "the sealed event is missing (deleted)")
        if seal is None and event.position < last_sealed:
            raise _Failed(event.position, "the stored event has no seal (inserted)")
        digest = self.previous = link(self.previous, event)
        if seal is not None:
            if digest != seal.hash:
                raise _Failed(event.position, "the stored event does not match its seal "
                                              "(changed, or moved from another position)")
            self.verified += 1
            self.head = seal
        else:
            self.unsealed += 1
        self._check_expected(event.position, digest)

    def _check_expected(self, position: int, digest: bytes) -> None:
        if self.expect is None or position != self.expect.position:
            return
        self.expected_seen = True
        if digest != self.expect.hash:
            raise _Failed(position, f"hash {digest.hex()} differs from the expected "
                                    f"{self.expect.hash.hex()}")


def _events(conn: psycopg.Connection[Any], table: sql.Composable) -> Iterator[StoredEventRow]:
    statement = sql.SQL("SELECT notification_id, originator_id, originator_version, topic, "
                        "state FROM {} ORDER BY notification_id").format(table)
    with conn.cursor(name="okr_verify_events") as cur:
        cur.itersize = ITERSIZE
        cur.execute(statement)
        for position, aggregate_id, version, topic, state in cur:
            yield StoredEventRow(position, aggregate_id, version, topic, bytes(state))


def _seals(conn: psycopg.Connection[Any]) -> Iterator[Seal]:
    with conn.cursor(name="okr_verify_seals") as cur:
        cur.itersize = ITERSIZE
        cur.execute("SELECT position, hash FROM okr_integrity_seals ORDER BY position")
        for position, digest in cur:
            yield Seal(position, bytes(digest))


def _merged(
    events: Iterator[StoredEventRow], seals: Iterator[Seal]
) -> Iterator[tuple[StoredEventRow | None, Seal | None]]:
    """Pairs by position: (event, its seal), (event, None) or (None, seal)."""
    event, seal = next(events, None), next(seals, None)
    while event is not None or seal is not None:
        if seal is None or (event is not None and event.position < seal.position):
            yield event, None
            event = next(events, None)
        elif event is None or seal.position < event.position:
            yield None, seal
            seal = next(seals, None)
        else:
            yield event, seal
            event, seal = next(events, None), next(seals, None)

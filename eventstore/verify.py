"""Checking the log against its seals (`okr verify`): recompute the chain from the stored
events, in position order, and compare it with every seal, and with a hash kept elsewhere.

The events and the seals are read in one snapshot, through two server-side cursors merged by
position, so memory stays constant whatever the length of the log. A long log is checked in
ranges of positions by worker processes sharing that snapshot (`pg_export_snapshot`): each
range starts from the stored seal before it, and the first bad position of the earliest
failing range is the first bad position of the whole log, since every range before it
recomputed its own seals exactly.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from psycopg import sql

from eventstore.canonical import GENESIS
from eventstore.seals import Seal, link

ITERSIZE = 5000
RANGE = 25_000  # positions a worker checks per task
EXPECT = re.compile(r"(\d{1,18}):([0-9a-fA-F]{64})")
Progress = Callable[[int], None]


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


@dataclass(frozen=True)
class Span:
    """Positions (low, high] of the log to check (high None: to the end)."""

    low: int
    high: int | None
    last_sealed: int
    expect: Expected | None


@dataclass
class SpanResult:
    verified: int = 0
    head: Seal | None = None
    unsealed: int = 0
    failure: tuple[int, str] | None = None
    expected_seen: bool = False
    reached: int = 0


@dataclass(frozen=True)
class Source:
    """Where a worker reads: the database, the events table, the exported snapshot."""

    url: str
    table: tuple[str, str]
    snapshot: str


def verify(
    url: str, table: tuple[str, str], *, expect: Expected | None = None,
    progress: Progress = lambda position: None, processes: int | None = None,
    span: int = RANGE,
) -> Verdict:
    """Recompute the chain over the events table `table` (schema, name) at `url`;
    `progress` gets the position reached now and then. `processes` (default: one per core)
    check ranges of `span` positions of a long log in parallel."""
    with psycopg.connect(url) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            last_sealed, high = _bounds(conn, table)
            spans = _spans(last_sealed, high, expect, span)
            workers = min(processes or os.cpu_count() or 1, len(spans))
            if workers <= 1:
                results: Iterator[SpanResult] = (
                    _check(conn, table, span, progress) for span in spans)
                return _verdict(results, expect, progress)
            exported = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert exported is not None
            source = Source(url, table, str(exported[0]))
            context = multiprocessing.get_context("spawn")  # fresh interpreters, no threads
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                results = pool.map(_check_in_worker, [source] * len(spans), spans)
                try:
                    return _verdict(results, expect, progress)
                finally:
                    pool.shutdown(cancel_futures=True)


def _bounds(conn: psycopg.Connection[Any], table: tuple[str, str]) -> tuple[int, int]:
    """The last sealed position and the last position of events and seals."""
    row = conn.execute(sql.SQL(
        "SELECT (SELECT coalesce(max(position), 0) FROM okr_integrity_seals), "
        "(SELECT coalesce(max(notification_id), 0) FROM {})").format(sql.Identifier(*table))
    ).fetchone()
    assert row is not None
    return int(row[0]), max(int(row[0]), int(row[1]))


def _spans(last_sealed: int, high: int, expect: Expected | None, size: int) -> list[Span]:
    """Ranges of `size` positions over the sealed part; the last one runs to the end."""
    lows = list(range(0, max(last_sealed, 1), size))
    return [Span(low, lows[i + 1] if i + 1 < len(lows) else None, last_sealed, expect)
            for i, low in enumerate(lows)] if high else [Span(0, None, 0, expect)]


def _verdict(results: Iterator[SpanResult], expect: Expected | None,
             progress: Progress) -> Verdict:
    verified = unsealed = 0
    head, expected_seen = Seal(0, GENESIS), expect is None
    for result in results:
        verified, unsealed = verified + result.verified, unsealed + result.unsealed
        head = result.head or head
        expected_seen = expected_seen or result.expected_seen
        if result.failure is not None:
            return Verdict(verified, head, unsealed, *result.failure)
        progress(result.reached)
    if expect is not None and not expected_seen:
        return Verdict(verified, head, unsealed, expect.position,
                       "no stored event at the expected position")
    return Verdict(verified, head, unsealed)


def _check_in_worker(source: Source, span: Span) -> SpanResult:
    with psycopg.connect(source.url) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(
                sql.Literal(source.snapshot)))
            return _check(conn, source.table, span, lambda position: None)


def _check(conn: psycopg.Connection[Any], table: tuple[str, str], span: Span,
           progress: Progress) -> SpanResult:
    """Check the events and seals of `span`, from the stored seal before it."""
    check = _Check(span, _seal_before(conn, span.low))
    try:
        for count, (event, seal) in enumerate(_merged(_events(conn, table, span),
                                                      _seals(conn, span)), 1):
            check.step(event, seal)
            if count % ITERSIZE == 0:
                progress(check.result.reached)
    except _Failed as failure:
        check.result.failure = (failure.position, failure.reason)
    return check.result


class _Failed(Exception):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position, self.reason = position, reason


@dataclass
class _Check:
    span: Span
    previous: bytes
    result: SpanResult = field(default_factory=SpanResult)

    def step(self, event: StoredEventRow | None, seal: Seal | None) -> None:
        if event is None:
            assert seal is not None
            raise _Failed(seal.position, "the sealed event is missing (deleted)")
        self.result.reached = event.position
        if seal is None and event.position < self.span.last_sealed:
            raise _Failed(event.position, "the stored event has no seal (inserted)")
        digest = self.previous = link(self.previous, event)
        if seal is not None:
            if digest != seal.hash:
                raise _Failed(event.position, "the stored event does not match its seal "
                                              "(changed, or moved from another position)")
            self.result.verified += 1
            self.result.head = seal
        else:
            self.result.unsealed += 1
        self._check_expected(event.position, digest)

    def _check_expected(self, position: int, digest: bytes) -> None:
        expect = self.span.expect
        if expect is None or position != expect.position:
            return
        self.result.expected_seen = True
        if digest != expect.hash:
            raise _Failed(position, f"hash {digest.hex()} differs from the expected "
                                    f"{expect.hash.hex()}")


def _seal_before(conn: psycopg.Connection[Any], low: int) -> bytes:
    """The stored seal of the last position at or before `low` (hash(0) before any)."""
    row = conn.execute("SELECT hash FROM okr_integrity_seals WHERE position <= %s "
                       "ORDER BY position DESC LIMIT 1", (low,)).fetchone()
    return GENESIS if row is None else bytes(row[0])


def _where(span: Span, column: str) -> sql.Composable:
    bounds = sql.SQL("{} > {}").format(sql.Identifier(column), sql.Literal(span.low))
    if span.high is not None:
        bounds = sql.SQL("{} AND {} <= {}").format(bounds, sql.Identifier(column),
                                                   sql.Literal(span.high))
    return bounds


def _events(conn: psycopg.Connection[Any], table: tuple[str, str],
            span: Span) -> Iterator[StoredEventRow]:
    statement = sql.SQL("SELECT notification_id, originator_id, originator_version, topic, "
                        "state FROM {} WHERE {} ORDER BY notification_id").format(
        sql.Identifier(*table), _where(span, "notification_id"))
    with conn.cursor(name="okr_verify_events") as cur:
        cur.itersize = ITERSIZE
        cur.execute(statement)
        for position, aggregate_id, version, topic, state in cur:
            yield StoredEventRow(position, aggregate_id, version, topic, bytes(state))


def _seals(conn: psycopg.Connection[Any], span: Span) -> Iterator[Seal]:
    statement = sql.SQL("SELECT position, hash FROM okr_integrity_seals WHERE {} "
                        "ORDER BY position").format(_where(span, "position"))
    with conn.cursor(name="okr_verify_seals") as cur:
        cur.itersize = ITERSIZE
        cur.execute(statement)
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

"""The sealer on real PostgreSQL: it seals every stored event in order, resumes after a
crash, shares the work with other sealers, and no stored row can stall it."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import psycopg
import pytest

from consumers.testing import wait_until
from eventstore import Store
from eventstore import seals as seals_module
from eventstore.canonical import GENESIS
from eventstore.sealer import Sealer
from eventstore.seals import chain, events_table_name, head_seal, seal_all, seal_at, seal_batch
from eventstore.verify import Expected, verify
from tests.support.world import build_world, record_every_kind_of_event

TOPIC = "domain.key_result:KeyResult.CheckedIn"


def stored_rows(store: Store) -> list[Any]:
    return list(store.feed().read_raw(0, 10**6))


def recomputed(store: Store) -> dict[int, bytes]:
    rows = stored_rows(store)
    return {row.id: digest for row, digest in zip(rows, chain(GENESIS, rows), strict=True)}


def stored_seals(store: Store) -> dict[int, bytes]:
    with store.pool.connection() as conn:
        rows = conn.execute("SELECT position, hash FROM okr_integrity_seals").fetchall()
    return {position: bytes(digest) for position, digest in rows}


def verdict(store: Store, processes: int = 1) -> Any:
    return verify(store.database_url, events_table_name(store.feed()), processes=processes)


def test_every_stored_event_is_sealed_in_position_order(store: Store) -> None:
    record_every_kind_of_event(store.app)
    assert seal_all(store.pool, store.feed()) == store.feed().head()
    assert stored_seals(store) == recomputed(store)
    with store.pool.connection() as conn:
        head = head_seal(conn)
        assert seal_at(conn, 0) is not None and seal_at(conn, 10**9) is None
    assert head.position == store.feed().head()
    assert verdict(store).ok and verdict(store).head == head


def test_a_crash_in_the_middle_of_a_batch_seals_nothing_of_it_and_the_next_run_resumes(
    store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    record_every_kind_of_event(store.app)
    assert seal_batch(store.pool, store.feed(), batch_size=5) == 5
    calls = 0

    def crashing_link(previous: bytes, row: Any) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("killed")
        return original(previous, row)

    original = seals_module.link
    monkeypatch.setattr(seals_module, "link", crashing_link)
    with pytest.raises(RuntimeError):
        seal_batch(store.pool, store.feed(), batch_size=5)
    assert sorted(stored_seals(store)) == [1, 2, 3, 4, 5]
    monkeypatch.setattr(seals_module, "link", original)
    seal_all(store.pool, store.feed())
    assert stored_seals(store) == recomputed(store)


def test_two_sealers_following_concurrent_writes_make_one_chain(store: Store) -> None:
    world = build_world(store.app)
    sealers = [Sealer(store, poll_interval=0.05).start() for _ in range(2)]
    written = []

    def write(kr: Any) -> None:
        for value in range(40):
            written.append(store.app.check_in(kr, value=float(value % 2),
                                              channel="api", actor="admin"))

    try:
        writers = [threading.Thread(target=write, args=(kr,)) for kr in (world.kr, world.flag)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert len(written) == 80
        head = store.feed().head()
        wait_until(lambda: max(stored_seals(store), default=0) == head, what="all sealed")
    finally:
        for sealer in sealers:
            sealer.stop()
            sealer.join(10)
    assert all(sealer.error is None for sealer in sealers)
    assert stored_seals(store) == recomputed(store)


def forge(store: Store, state: bytes, topic: str = TOPIC) -> int:
    """A row written by direct SQL, as someone with database access could."""
    with psycopg.connect(store.database_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO okrledger_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, 1, %s, %s) RETURNING notification_id",
            (uuid.uuid4(), topic, state)).fetchone()
    assert row is not None
    return int(row[0])


STAMP = {"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+00:00"},
         "actor": "admin"}


@pytest.mark.parametrize("state", [
    json.dumps({**STAMP, "value": float("nan")}).encode(),
    b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-10-01T12:00:00+00:00"}, '
    b'"value": ' + b"9" * 400 + b"}",
    json.dumps({**STAMP, "value": 2**70, "note": "\U0001f600 \u202e\u0301"}).encode(),
    b'{"timestamp": 1, "note": "\\udfff"}',
    b"\x00\xff not json at all",
], ids=["nan", "huge-integer", "big-integer-and-unicode", "lone-surrogate", "garbage"])
def test_no_stored_event_stalls_the_sealer(store: Store, state: bytes) -> None:
    record_every_kind_of_event(store.app)
    forged = forge(store, state)
    sealer = Sealer(store, poll_interval=0.05).start()
    try:
        store.app.create_team(name="After the odd one", parent_id=None, actor="admin")
        head = store.feed().head()
        wait_until(lambda: max(stored_seals(store), default=0) == head, what="sealed past it")
    finally:
        sealer.stop()
        sealer.join(10)
    assert sealer.error is None and forged in stored_seals(store)
    assert verdict(store).ok


def test_unicode_and_extreme_numbers_written_through_the_domain_are_sealed(
    store: Store,
) -> None:
    world = build_world(store.app)
    store.app.edit_objective(world.goal, title="Ünïcødé \U0001f680 \u05e9\u05dc\u05d5\u05dd "
                             "e\u0301 \"quoted\" \\ \u2028", actor="admin")
    for value in (1.7976931348623157e308, 5e-324, -0.0, 1e21, 123456789.123456789):
        store.app.check_in(world.kr, value=value, channel="api", actor="admin")
    seal_all(store.pool, store.feed())
    assert stored_seals(store) == recomputed(store)
    assert verdict(store).ok


def tamper(store: Store, statement: str, params: Any) -> None:
    with psycopg.connect(store.database_url, autocommit=True) as conn:
        conn.execute(statement.encode(), params)


def test_worker_processes_checking_ranges_find_what_one_process_finds(store: Store) -> None:
    world = build_world(store.app)
    for value in range(60):
        store.app.check_in(world.kr, value=float(value), channel="api", actor="admin")
    seal_all(store.pool, store.feed())
    head = store.feed().head()
    serial = verdict(store)
    url, table = store.database_url, events_table_name(store.feed())
    assert serial.ok and verify(url, table, processes=2, span=10) == serial
    kept = Expected(head // 2, stored_seals(store)[head // 2])
    assert verify(url, table, processes=2, span=10, expect=kept).ok
    tamper(store, "UPDATE okrledger_events SET state = convert_to(replace(convert_from("
                  "state, 'UTF8'), '\"admin\"', '\"Admin\"'), 'UTF8') "
                  "WHERE notification_id = %s", (head - 5,))
    changed = verify(url, table, processes=2, span=10, expect=kept)
    assert changed == verdict(store) and changed.bad_position == head - 5
    tamper(store, "DELETE FROM okrledger_events WHERE notification_id = %s", (head - 25,))
    found = verify(url, table, processes=2, span=10, expect=kept)
    assert found == verdict(store) and found.bad_position == head - 25
    assert found.reason == "the sealed event is missing (deleted)"
    wrong = Expected(head // 2, bytes(32))
    assert verify(url, table, processes=2, span=10, expect=wrong).bad_position == head // 2

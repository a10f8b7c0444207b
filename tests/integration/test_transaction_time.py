"""Transaction time on the store: `recorded_at` is given when the event is written, strictly
increasing in log order across writers, and the stored state says the same."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.application import OkrApplication
from domain.clock import clock_installed
from domain.key_result import KeyResult
from tests.support.world import World, build_world, recorded_events

# Each stored event's time as its state says it, and its check-in's valid time if any.
STORED = """
    SELECT notification_id, recorded_at,
           (convert_from(state, 'UTF8')::jsonb #>> '{timestamp,_data_}')::timestamptz,
           (convert_from(state, 'UTF8')::jsonb #>> '{effective_at,_data_}')::timestamptz
    FROM okrledger_events ORDER BY notification_id"""


@pytest.fixture
def other(pg_env: dict[str, str]) -> Iterator[OkrApplication]:
    """A second process on the same database."""
    app = OkrApplication(env=pg_env)
    yield app
    app.close()


def stored(database_url: str) -> list[tuple[int, datetime, datetime, datetime | None]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(STORED).fetchall()


def run_writers(writers: list[Callable[[int], object]], rounds: int) -> None:
    """Each writer in its own thread, `rounds` calls each; errors fail the test."""
    errors: list[BaseException] = []

    def loop(write: Callable[[int], object]) -> None:
        try:
            for number in range(rounds):
                write(number)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=loop, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def test_recorded_at_strictly_increases_in_log_order_across_concurrent_writers(
    pg_app: OkrApplication, other: OkrApplication, database_url: str,
) -> None:
    world = build_world(pg_app)
    krs = [world.kr, *(UUID(pg_app.add_key_result(world.goal, title=f"K{n}", kind="numeric",
                                                  start=0, target=100, actor="a").id)
                       for n in range(3))]
    back = datetime.now(UTC) - timedelta(days=3)

    def single(app: OkrApplication, kr: UUID) -> Callable[[int], object]:
        return lambda n: app.check_in(kr, value=n, channel="api", actor="w")

    def grouped(app: OkrApplication, kr: UUID) -> Callable[[int], object]:
        # A batch as the API's writer records it: one insert for several commands, one of
        # them with an explicit (back-dated) effective_at.
        return lambda n: app.run_batch([
            lambda: app.check_in(kr, value=n, channel="api", actor="g"),
            lambda: app.check_in(kr, value=n + 1, effective_at=back, channel="api", actor="g"),
            lambda: app.edit_key_result(kr, title=f"T{n}", actor="g"),
        ])

    run_writers([single(pg_app, krs[0]), single(other, krs[1]),
                 grouped(pg_app, krs[2]), grouped(other, krs[3])], rounds=150)
    rows = stored(database_url)
    assert len(rows) > 1200
    assert all(a[1] < b[1] for a, b in pairwise(rows))
    assert all(recorded == in_state for _, recorded, in_state, _ in rows)
    effective = [(recorded, valid) for _, recorded, _, valid in rows if valid is not None]
    assert all(valid <= recorded for recorded, valid in effective)
    assert sum(valid == recorded for recorded, valid in effective) == 2 * 150 * 2


def test_explicit_effective_at_is_never_later_than_recorded_at_even_from_a_fast_clock(
    pg_app: OkrApplication, database_url: str,
) -> None:
    world = build_world(pg_app)
    ahead = datetime.now(UTC) + timedelta(seconds=2)
    with clock_installed(lambda: ahead):  # an application server whose clock runs fast
        pg_app.check_in(world.kr, value=5, effective_at=ahead, channel="api", actor="a")
    *_, (_, recorded, _, valid) = stored(database_url)
    assert valid == ahead <= recorded


def test_aggregates_in_memory_carry_the_times_of_their_stored_events(
    pg_app: OkrApplication, other: OkrApplication,
) -> None:
    world = build_world(pg_app)
    pg_app.run_batch([lambda: pg_app.check_in(world.kr, value=1, channel="api", actor="a"),
                      lambda: pg_app.check_in(world.kr, value=2, channel="api", actor="a")])
    cached = pg_app.load(KeyResult, world.kr)
    from_store = other.load(KeyResult, world.kr)  # replayed from the stored events
    assert (cached.modified_on, cached.current_effective_at) == (
        from_store.modified_on, from_store.current_effective_at)
    last = recorded_events(pg_app)[-1]
    assert cached.current_effective_at == last.timestamp == last.effective_at


def test_defaulted_then_explicit_check_in_in_one_batch_leaves_the_stored_state_in_memory(
    any_app: OkrApplication,
) -> None:
    world = build_world(any_app)
    frozen = datetime.now(UTC)
    # The second check-in's effective_at equals the first one's provisional time, so in
    # memory it wins the tie; the store records the first later than that, so it does not.
    with clock_installed(lambda: frozen):
        any_app.run_batch([
            lambda: any_app.check_in(world.kr, value=1, channel="api", actor="a"),
            lambda: any_app.check_in(world.kr, value=2, effective_at=frozen,
                                     channel="api", actor="a"),
        ])
    in_memory = any_app.load(KeyResult, world.kr)
    replayed = aggregate_from_events(any_app, world)
    assert (in_memory.current, in_memory.current_effective_at) == (
        replayed.current, replayed.current_effective_at)
    assert in_memory.current == 1


def aggregate_from_events(app: OkrApplication, world: World) -> Any:
    events = [e for e in recorded_events(app) if e.originator_id == world.kr]
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def test_snapshots_hold_the_times_the_store_gave(pg_app: OkrApplication) -> None:
    world = build_world(pg_app)
    for number in range(99):  # the KR's 100th event is snapshotted (interval 100)
        pg_app.check_in(world.kr, value=number, channel="api", actor="a")
    assert pg_app.snapshots is not None
    (snapshot,) = pg_app.snapshots.get(world.kr)
    last = recorded_events(pg_app)[-1]
    assert snapshot.originator_version == 100
    assert snapshot.state["_modified_on"] == last.timestamp
    assert snapshot.state["current_effective_at"] == last.effective_at == last.timestamp


def test_a_row_written_around_the_store_without_a_time_does_not_stop_its_writers(
    pg_app: OkrApplication, database_url: str,
) -> None:
    world = build_world(pg_app)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO okrledger_events (originator_id, originator_version, topic, "
                     "state) VALUES (gen_random_uuid(), 1, 't', '{}')")
    pg_app.check_in(world.kr, value=1, channel="api", actor="a")
    timed = [recorded for _, recorded, _, _ in stored(database_url) if recorded is not None]
    assert all(a < b for a, b in pairwise(timed)) and len(timed) == len(stored(database_url)) - 1

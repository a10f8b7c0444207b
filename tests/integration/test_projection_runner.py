"""The runner: exactly once, stops loudly on errors, resumes, survives a lost LISTEN."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from domain.organisation import Team
from eventstore import Store
from projections.audit import AUDIT
from projections.base import ProjectionSpec
from projections.registry import PROJECTIONS
from projections.runner import (
    catch_up,
    prepare,
    process_batch,
    start_projections,
    wait_for_position,
)
from tests.support.scenario import build_org


def until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait for `condition` with a deadline (checks every 20 ms)."""
    deadline = time.monotonic() + timeout
    done = threading.Event()
    while time.monotonic() < deadline:
        if condition():
            return True
        done.wait(0.02)
    return condition()


def audit_positions(store: Store) -> list[int]:
    with store.pool.connection() as conn:
        return [r[0] for r in conn.execute(
            f"SELECT position FROM {AUDIT.schema}.entries ORDER BY position").fetchall()]


def tracked(store: Store, name: str) -> int:
    with store.pool.connection() as conn:
        row = conn.execute("SELECT position FROM okr_tracking WHERE name = %s",
                           (f"projection:{name}",)).fetchone()
        return int(row[0]) if row else 0


def failing_audit(fail_at: int) -> ProjectionSpec:
    """The audit projection, crashing on the event at position `fail_at`."""
    real = PROJECTIONS["audit"]

    def handler(cur: psycopg.Cursor[Any], schema: str, recorded: Any) -> None:
        if recorded.position == fail_at:
            raise RuntimeError("simulated crash mid-batch")
        real.handlers[Team.Created](cur, schema, recorded)

    return ProjectionSpec(name="audit", ddl=real.ddl,
                          handlers=dict.fromkeys(real.handlers, handler))


def test_crash_mid_batch_applies_nothing_and_resume_applies_everything_once(
    store: Store,
) -> None:
    build_org(store.app)
    head = store.feed().head()
    with store.pool.connection() as conn:
        prepare(conn, [PROJECTIONS["audit"]])
    with pytest.raises(RuntimeError, match="simulated crash"):
        process_batch(store.pool, store.feed(), failing_audit(fail_at=head - 1))
    assert audit_positions(store) == []
    assert tracked(store, "audit") == 0
    assert process_batch(store.pool, store.feed(), PROJECTIONS["audit"]) == head
    assert process_batch(store.pool, store.feed(), PROJECTIONS["audit"]) == 0
    positions = audit_positions(store)
    assert positions == sorted(set(positions))
    assert tracked(store, "audit") == head


def test_runner_stops_loudly_on_a_handler_error_and_keeps_its_position(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_org(store.app)
    head = store.feed().head()
    monkeypatch.setitem(PROJECTIONS, "audit", failing_audit(fail_at=3))
    running = start_projections(store, ["audit"], poll_interval=0.05)
    try:
        assert until(lambda: running.error is not None)
        assert isinstance(running.error, RuntimeError)
        assert tracked(store, "audit") == 0
    finally:
        running.stop()
        running.join(5)
    monkeypatch.undo()
    catch_up(store, ["audit"])
    assert tracked(store, "audit") == head


def test_two_runners_of_one_projection_apply_each_event_once(store: Store) -> None:
    first = start_projections(store, poll_interval=0.05)
    second = start_projections(store, poll_interval=0.05)
    try:
        for number in range(3):
            build_org(store.app, suffix=f"-{number}")
        head = store.feed().head()
        assert wait_for_position(store.pool, head, timeout=10)
        assert first.error is None and second.error is None
    finally:
        for running in (first, second):
            running.stop()
            running.join(5)
    positions = audit_positions(store)
    assert len(positions) == len(set(positions))


def test_runner_catches_up_after_its_listen_connection_is_terminated(store: Store) -> None:
    running = start_projections(store, ["directory"], poll_interval=0.2)
    try:
        def listening() -> list[Any]:
            with store.pool.connection() as conn:
                return conn.execute("SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%%'"
                                    " AND datname = current_database()").fetchall()
        assert until(lambda: bool(listening()))
        with store.pool.connection() as conn:
            for (pid,) in listening():
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        store.app.create_team(name="After the drop", parent_id=None, actor="a")
        head = store.feed().head()
        assert until(lambda: tracked(store, "directory") >= head)
        assert running.error is None
    finally:
        running.stop()
        running.join(5)


def test_read_your_writes_waits_for_the_position(store: Store) -> None:
    position = store.app.create_team(name="New", parent_id=None, actor="a").position
    assert not wait_for_position(store.pool, position, timeout=0.1)
    running = start_projections(store, poll_interval=0.05)
    try:
        assert wait_for_position(store.pool, position, timeout=5)
    finally:
        running.stop()
        running.join(5)

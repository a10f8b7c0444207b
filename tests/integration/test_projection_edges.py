"""Edge cases of the read models: audit details, versions as of T, rebuild under live writes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import event
from psycopg import Connection

from domain import clock
from domain.base import OkrAggregate
from domain.errors import InvalidInput
from domain.key_result import KeyResult
from eventstore import Store
from eventstore.txtime import TICK, loading
from projections import queries
from projections.alignment import ALIGNMENT
from projections.rebuild import rebuild
from projections.runner import catch_up, start_projections, wait_for_position
from tests.support.scenario import build_org

DAY1 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def test_check_in_repeating_the_last_value_still_shows_current_in_the_audit(
    store: Store,
) -> None:
    org = build_org(store.app)
    store.app.check_in(org.key_result, value=40, channel="api", actor="ann")
    store.app.check_in(org.key_result, value=40, channel="api", actor="ann")
    catch_up(store)
    with store.pool.connection() as conn:
        items = queries.audit(conn, entity_id=org.key_result)["items"]
    assert [i["changes"]["current"] for i in items[-2:]] == [
        {"from": None, "to": 40.0}, {"from": 40.0, "to": 40.0}]


def test_audit_follows_numbers_across_the_whole_range_of_doubles(store: Store) -> None:
    org = build_org(store.app)
    objective = store.app.load(KeyResult, org.key_result).objective_id
    kr = UUID(store.app.add_key_result(objective, title="Huge", kind="numeric", start=-1.7e308,
                                       target=1.7e308, actor="ann").id)
    catch_up(store)  # the KR's known state is now read back from PostgreSQL's jsonb
    store.app.check_in(kr, value=1.7e308, channel="api", actor="ann")
    store.app.edit_key_result(kr, target=5e-324, weight=1e6, actor="ann")
    catch_up(store)
    with store.pool.connection() as conn:
        items = queries.audit(conn, entity_id=kr)["items"]
    changes = [item["changes"] for item in items]
    assert changes[0]["start"] == {"from": None, "to": -1.7e308}
    assert changes[1]["current"] == {"from": None, "to": 1.7e308}
    assert changes[2]["target"] == {"from": 1.7e308, "to": 5e-324}
    assert all(type(v) is float for c in changes for k in ("start", "target", "current")
               if k in c and c[k]["from"] is not None for v in (c[k]["from"],))


def test_audit_refuses_a_malformed_entity_id_as_invalid_input(store: Store) -> None:
    catch_up(store)
    with store.pool.connection() as conn, pytest.raises(InvalidInput):
        queries.audit(conn, entity_id="not-a-uuid")


def test_key_result_version_as_of_counts_every_check_in_recorded_by_then(
    store: Store,
) -> None:
    ticks = count()
    with loading(store.app):
        with clock.clock_installed(lambda: DAY1 + next(ticks) * TICK):
            org = build_org(store.app)
        with clock.clock_installed(lambda: DAY1 + timedelta(days=1) + next(ticks) * TICK):
            store.app.check_in(org.key_result, value=1, channel="api", actor="a")
            last = store.app.check_in(org.key_result, value=2, channel="api", actor="a")
        with clock.clock_installed(lambda: DAY1 + timedelta(days=3)):
            store.app.check_in(org.key_result, value=3, channel="api", actor="a")
    catch_up(store)
    with store.pool.connection() as conn:
        then = queries.key_result_detail(conn, org.key_result, as_of=DAY1 + timedelta(days=2))
        now = queries.key_result_detail(conn, org.key_result)
    assert then is not None and now is not None
    assert (then["version"], then["current"]) == (last.version, 2)
    assert now["version"] == last.version + 1


@pytest.mark.parametrize("processes", [1, 2])
def test_rebuild_while_projections_follow_live_writes_loses_and_repeats_nothing(
    store: Store, processes: int,
) -> None:
    org = build_org(store.app)
    running = start_projections(store, poll_interval=0.05)
    stop, written = threading.Event(), []

    def writer() -> None:
        while not stop.is_set():
            written.append(store.app.check_in(org.key_result, value=len(written),
                                              channel="api", actor="w"))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(3):
            rebuild(store, processes=processes)
        stop.set()
        thread.join()
        assert wait_for_position(store.pool, store.feed().head(), timeout=10)
        assert running.error is None
    finally:
        stop.set()
        running.stop()
        running.join(5)
    with store.pool.connection() as conn:
        check_ins = conn.execute("SELECT count(*), count(DISTINCT version) FROM "
                                 f"{ALIGNMENT.schema}.check_ins").fetchone()
        entries = all_audit_entries(conn, org.key_result)
    assert check_ins == (len(written), len(written))
    assert len(entries) == 1 + len(written)  # created, then one entry per check-in
    assert len({entry["position"] for entry in entries}) == len(entries)


def all_audit_entries(conn: Connection[Any], entity_id: UUID) -> list[dict[str, Any]]:
    """Every audit entry of one entity, following the pages (a fast writer passes one page)."""
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = queries.audit(conn, entity_id=entity_id, limit=500, cursor=cursor)
        entries += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return entries


def test_runner_survives_its_database_connections_being_dropped(store: Store) -> None:
    running = start_projections(store, ["directory"], poll_interval=0.05)
    try:
        store.app.create_team(name="Before", parent_id=None, actor="a")
        assert wait_for_position(store.pool, store.feed().head(), timeout=5)
        with store.pool.connection() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        store.app.create_team(name="After", parent_id=None, actor="a")
        assert wait_for_position(store.pool, store.feed().head(), timeout=10)
        assert running.error is None
    finally:
        running.stop()
        running.join(5)


class Gadget(OkrAggregate):
    """An aggregate the audit projection has no mapping for (a later domain addition)."""

    @event("Made")
    def __init__(self, name: str, actor: str) -> None:
        self.name = name


def test_audit_records_event_types_it_has_no_mapping_for_and_skips_plan_bookkeeping(
    store: Store,
) -> None:
    build_org(store.app)
    gadget = Gadget(name="widget", actor="ann")
    store.app.save(gadget)
    catch_up(store)
    with store.pool.connection() as conn:
        items = queries.audit(conn, limit=500)["items"]
        (entry,) = queries.audit(conn, entity_id=gadget.id)["items"]
    assert (entry["event_type"], entry["actor"]) == ("okr.gadget.made.v1", "ann")
    assert entry["changes"] == {"name": {"from": None, "to": "widget"}}
    assert not [i for i in items if i["event_type"].startswith("okr.cycle.plan_entry")]
    assert len(items) == store.feed().head() - 3  # three objectives planned in cycles

"""A rebuild spread over worker processes: a failed or killed worker changes nothing live."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
from typer.testing import CliRunner

from eventstore import Store
from eventstore.feed import EventFeed, NewEventSignal
from okr.cli import app as cli
from projections import queries
from projections.bulkload import RebuildFailed
from projections.rebuild import rebuild
from projections.runner import catch_up
from tests.support.scenario import build_org


@dataclass
class ElsewhereStore:
    """The store, but telling worker processes a database URL of its own."""

    store: Store
    database_url: str

    @property
    def pool(self) -> Any:
        return self.store.pool

    def feed(self) -> EventFeed:
        return self.store.feed()

    def new_event_signal(self, poll_interval: float = 1.0) -> NewEventSignal:
        return self.store.new_event_signal(poll_interval)


def _views(store: Store, cycle: str) -> tuple[Any, ...]:
    with store.pool.connection() as conn:
        tracked = conn.execute("SELECT name, position FROM okr_tracking "
                               "WHERE name LIKE 'projection:%' ORDER BY name").fetchall()
        tree = {k: v for k, v in queries.alignment_tree(conn, cycle).items()
                if k != "valid_at"}  # the reading time
        return tracked, tree, queries.audit(conn, limit=500)["items"]


def test_a_worker_that_cannot_connect_fails_the_rebuild_and_live_views_stay(
    store: Store,
) -> None:
    org = build_org(store.app)
    catch_up(store)
    before = _views(store, org.cycle)
    unreachable = urlunsplit(urlsplit(store.database_url)._replace(
        path="/okr_no_such_database"))
    with pytest.raises(RebuildFailed, match="no_such_database"):
        rebuild(ElsewhereStore(store, unreachable), processes=2)
    assert _views(store, org.cycle) == before


def _kill_the_first_worker(deadline: float) -> None:
    """Kill a bulk-load worker as soon as it exists (it takes a while to import)."""
    while time.monotonic() < deadline:
        for child in psutil.Process().children():
            with contextlib.suppress(psutil.Error):
                if "projections.bulkload" in child.cmdline():
                    child.kill()
                    return
        time.sleep(0.005)  # polling the process table is the wait itself


def test_a_killed_worker_fails_the_rebuild_and_a_second_rebuild_completes(
    store: Store,
) -> None:
    org = build_org(store.app)
    for value in range(30):
        store.app.check_in(org.key_result, value=value, channel="api", actor="w")
    catch_up(store)
    before = _views(store, org.cycle)
    killer = threading.Thread(target=_kill_the_first_worker, args=(time.monotonic() + 30,))
    killer.start()
    try:
        with pytest.raises(RebuildFailed, match="exited with code -9"):
            rebuild(store, processes=2)
    finally:
        killer.join()
    assert _views(store, org.cycle) == before
    positions = rebuild(store, processes=2)
    assert set(positions.values()) == {store.feed().head()}
    assert _views(store, org.cycle)[1:] == before[1:]


def test_okr_rebuild_with_workers_reports_the_position_it_rebuilt_to(store: Store) -> None:
    org = build_org(store.app)
    store.app.check_in(org.key_result, value=5, channel="api", actor="w")
    env = {"OKR_DATABASE_URL": store.database_url}

    result = CliRunner().invoke(cli, ["rebuild", "--processes", "2"], env=env)

    assert result.exit_code == 0, result.output
    head = store.feed().head()
    assert f"rebuilt directory, alignment, audit up to position {head}" in result.output
    with store.pool.connection() as conn:
        assert queries.key_result_detail(conn, org.key_result)["current"] == 5


@pytest.mark.parametrize("arguments", [["--processes", "0"], ["nonsense"]])
def test_okr_rebuild_refuses_bad_arguments_and_touches_nothing(
    store: Store, arguments: list[str],
) -> None:
    build_org(store.app)
    catch_up(store)
    before = _tracked(store)

    result = CliRunner().invoke(cli, ["rebuild", *arguments],
                                env={"OKR_DATABASE_URL": store.database_url})

    assert result.exit_code == 2
    assert _tracked(store) == before


def _tracked(store: Store) -> list[tuple[Any, ...]]:
    with store.pool.connection() as conn:
        return conn.execute("SELECT name, position, updated_at FROM okr_tracking "
                            "ORDER BY name").fetchall()

"""Stores written before transaction time: refused for writes until `okr upgrade`, which
copies each event's own time into `recorded_at` without changing any state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from domain.application import OkrApplication
from domain.clock import clock_installed
from eventstore.horizon import TransactionClock
from eventstore.legacy import legacy_events, upgrade
from eventstore.txtime import LegacyStore
from okr.cli import app as cli

NOW = datetime.now(UTC)
T0 = NOW - timedelta(days=2)
# Positions 1-4 as a writer with a wrong clock, and writers in several processes, left
# them: 2 is earlier than 1, 3 is ahead of the real time, 4 is earlier than 3.
LEGACY_TIMES = [T0 + timedelta(hours=2), T0 + timedelta(hours=1), NOW + timedelta(hours=1),
                T0 + timedelta(hours=3)]


@pytest.fixture
def legacy_store(pg_env: dict[str, str]) -> Iterator[list[bytes]]:
    """Four teams recorded by the library's own recorder (the layout before transaction
    time), at LEGACY_TIMES; yields their states."""
    old_env = {k: v for k, v in pg_env.items() if k != "APPLICATION_RECORDER_TOPIC"}
    app = OkrApplication(env=old_env)
    readings = iter(LEGACY_TIMES)
    with clock_installed(lambda: next(readings)):
        for number in range(len(LEGACY_TIMES)):
            app.create_team(name=f"Team {number}", parent_id=None, actor="admin")
    states = [n.state for n in app.recorder.select_notifications(start=1, limit=10)]
    app.close()
    yield states


def rows(conn: psycopg.Connection[Any]) -> list[tuple[int, datetime | None, bytes]]:
    return [(r[0], r[1], bytes(r[2])) for r in conn.execute(
        "SELECT notification_id, recorded_at, state FROM okrledger_events "
        "ORDER BY notification_id")]


def test_a_store_written_before_transaction_time_refuses_writes_until_upgraded(
    legacy_store: list[bytes], pg_app: OkrApplication, database_url: str,
) -> None:
    names = pg_app.recorder.names  # type: ignore[attr-defined]
    with pytest.raises(LegacyStore):
        pg_app.create_team(name="New", parent_id=None, actor="admin")
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert legacy_events(conn, names) == 4
        report = upgrade(conn, names)
        assert (report.filled, report.out_of_order) == (4, 2)
        assert legacy_events(conn, names) == 0
        assert upgrade(conn, names).filled == 0  # once is enough
        assert [(p, t, s) for p, t, s in rows(conn)] == [
            (p, t, s) for p, (t, s) in enumerate(zip(LEGACY_TIMES, legacy_store, strict=True),
                                                 start=1)]


def test_after_the_upgrade_every_new_event_is_recorded_after_every_older_one(
    legacy_store: list[bytes], pg_app: OkrApplication, database_url: str,
) -> None:
    names = pg_app.recorder.names  # type: ignore[attr-defined]
    with psycopg.connect(database_url, autocommit=True) as conn:
        upgrade(conn, names)
    pg_app.create_team(name="New", parent_id=None, actor="admin")
    with psycopg.connect(database_url, autocommit=True) as conn:
        (*old, new) = rows(conn)
        assert new[1] is not None and new[1] > max(t for _, t, _ in old if t is not None)
        assert [s for _, _, s in old] == legacy_store


@pytest.mark.parametrize(("instant", "position"), [
    (T0, 0),
    (T0 + timedelta(hours=1), 2),
    (T0 + timedelta(hours=2, minutes=30), 2),  # 1 and 2 are recorded by then; 2 is the last
    (T0 + timedelta(hours=3), 4),
    (NOW + timedelta(hours=1, minutes=30), 4),  # every older event, none of the new ones
])
def test_position_at_an_instant_of_an_upgraded_store_is_the_last_recorded_by_then(
    legacy_store: list[bytes], pg_app: OkrApplication, database_url: str,
    instant: datetime, position: int,
) -> None:
    names = pg_app.recorder.names  # type: ignore[attr-defined]
    with psycopg.connect(database_url, autocommit=True) as conn:
        upgrade(conn, names)
        assert TransactionClock(names).position_at(conn, instant) == position


def test_okr_refuses_a_legacy_store_until_okr_upgrade_adopts_it_once(
    legacy_store: list[bytes], database_url: str,
) -> None:
    env = {"OKR_DATABASE_URL": database_url}
    refused = CliRunner().invoke(cli, ["rebuild"], env=env)
    assert refused.exit_code == 1
    assert "4 events recorded before transaction time" in refused.output
    assert "okr upgrade" in refused.output
    upgraded = CliRunner().invoke(cli, ["upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert "4 events" in upgraded.output and "2 of them" in upgraded.output
    again = CliRunner().invoke(cli, ["upgrade"], env=env)
    assert "nothing to upgrade" in again.output
    assert CliRunner().invoke(cli, ["rebuild"], env=env).exit_code == 0

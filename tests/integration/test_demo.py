"""`okr demo` on real PostgreSQL: refuses a non-empty store, fills an empty one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import psycopg
from pydantic import SecretStr
from typer.testing import CliRunner

from okr.bootstrap import start_store
from okr.cli import app as cli
from okr.settings import Settings


def _head(database_url: str) -> int:
    store = start_store(Settings(database_url=SecretStr(database_url)))
    try:
        return store.feed().head()
    finally:
        store.close()


def test_demo_refuses_a_non_empty_store_and_records_nothing(database_url: str) -> None:
    store = start_store(Settings(database_url=SecretStr(database_url)))
    try:
        store.app.create_team(name="Already here", parent_id=None, actor="admin")
    finally:
        store.close()

    result = CliRunner().invoke(cli, ["demo", "--scale", "small"],
                                env={"OKR_DATABASE_URL": database_url})

    assert result.exit_code == 1
    assert "not empty" in result.output
    assert _head(database_url) == 1


def test_demo_fills_an_empty_store_and_prints_a_summary(database_url: str) -> None:
    result = CliRunner().invoke(cli, ["demo", "--scale", "small", "--seed", "3"],
                                env={"OKR_DATABASE_URL": database_url})

    assert result.exit_code == 0, result.output
    head = _head(database_url)
    assert head > 500
    assert str(head) in result.output
    assert "alignment-tree?cycle=" in result.output
    assert "/ui/tree?cycle=" in result.output


def test_demo_refuses_an_unknown_scale(database_url: str) -> None:
    result = CliRunner().invoke(cli, ["demo", "--scale", "galactic"],
                                env={"OKR_DATABASE_URL": database_url})

    assert result.exit_code == 2
    assert _head(database_url) == 0


def test_demo_records_three_quarters_at_strictly_increasing_past_times(
    database_url: str,
) -> None:
    started = datetime.now(UTC)
    result = CliRunner().invoke(cli, ["demo", "--scale", "small"],
                                env={"OKR_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT recorded_at, (convert_from(state, 'UTF8')::jsonb #>> "
            "'{timestamp,_data_}')::timestamptz FROM okrledger_events "
            "ORDER BY notification_id").fetchall()
        cycles = conn.execute("SELECT count(*) FROM okrledger_events "
                              "WHERE topic LIKE '%Cycle.Created'").fetchone()
    times = [recorded for recorded, _ in rows]
    assert all(earlier < later for earlier, later in pairwise(times))
    assert all(recorded == in_state for recorded, in_state in rows)
    assert times[-1] < started and started - times[0] > timedelta(days=180)
    assert cycles is not None and cycles[0] >= 3

"""okr demo -> okr export -> okr import into a fresh database: the same rows, byte for byte,
the same answers to every read at random instants, the same chain head for okr verify, and
the same file when exported again."""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from eventstore import Store
from eventstore.database import create_database, drop_database
from okr.bootstrap import start_store
from okr.cli import app as cli
from okr.settings import Settings
from projections import queries as q
from projections.runner import catch_up
from tests.support import golden

ROWS = ("SELECT notification_id, originator_id, originator_version, topic, state, recorded_at "
        "FROM okrledger_events ORDER BY notification_id")


def _okr(database_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"OKR_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def target_url(pg_server_url: str) -> Iterator[str]:
    name = f"okr_test_target_{random.getrandbits(40):x}"
    yield create_database(pg_server_url, name)
    drop_database(pg_server_url, name)


def _store(url: str) -> Store:
    return start_store(Settings(database_url=SecretStr(url)))


def _reads(store: Store, instants: list[datetime], ids: dict[str, list[str]]) -> dict[str, Any]:
    """Every read of the contract at each instant (as_of, and valid a few days earlier)."""
    reads: dict[str, Any] = {}
    with store.pool.connection() as conn:
        cycles = [c["key"] for c in q.cycles(conn)]
        reads["audit"] = golden.audit_trail(conn)
        reads["history"] = q.history(conn)
        for t in instants:
            valid = t - timedelta(days=3)
            for cycle in cycles:
                reads[f"tree {cycle} {t}"] = q.alignment_tree(conn, cycle, t, valid)
                reads[f"changes {cycle} {t}"] = golden.unordered(
                    q.changes(conn, cycle, t - timedelta(days=20), t))
                reads[f"engagement {cycle} {t}"] = q.engagement(conn, cycle, t)
            for objective in ids["objectives"]:
                reads[f"objective {objective} {t}"] = q.objective_detail(conn, objective, t, valid)
            for kr in ids["key_results"]:
                reads[f"kr {kr} {t}"] = q.key_result_detail(conn, kr, t, valid)
                reads[f"check-ins {kr} {t}"] = q.check_ins(conn, kr, t)
            reads[f"audit until {t}"] = q.audit(conn, until=t, limit=100)
    return golden.plain(reads)


def _sample(store: Store, rng: random.Random) -> dict[str, list[str]]:
    with store.pool.connection() as conn:
        objectives = [str(r[0]) for r in conn.execute(
            "SELECT DISTINCT id FROM okr_v_alignment.objective_versions ORDER BY 1")]
        krs = [str(r[0]) for r in conn.execute(
            "SELECT DISTINCT id FROM okr_v_alignment.kr_versions ORDER BY 1")]
    return {"objectives": rng.sample(objectives, 5), "key_results": rng.sample(krs, 8)}


def test_demo_exported_and_imported_reads_the_same_everywhere(
        database_url: str, target_url: str, tmp_path: Path) -> None:
    _okr(database_url, "demo", "--scale", "small", "--seed", "5")
    exported, again = tmp_path / "log.ndjson.gz", tmp_path / "again.ndjson"
    _okr(database_url, "export", str(exported))
    _okr(target_url, "import", str(exported))
    _okr(target_url, "export", str(again))
    head = _verified_head(_okr(database_url, "verify"))
    assert _verified_head(_okr(target_url, "verify")) == head
    _okr(target_url, "verify", "--expect", ":".join(head.split()))

    source, target = _store(database_url), _store(target_url)
    try:
        catch_up(source)
        with source.pool.connection() as a, target.pool.connection() as b:
            assert a.execute(ROWS).fetchall() == b.execute(ROWS).fetchall()
            first, last = a.execute("SELECT min(notification_id), max(notification_id) "
                                    "FROM okrledger_events").fetchone() or (0, 0)
            times = [row[0] for row in a.execute(
                "SELECT (convert_from(state, 'UTF8')::jsonb #>> '{timestamp,_data_}') "
                "FROM okrledger_events WHERE notification_id IN (%s, %s) ORDER BY 1",
                (first, last))]
        rng = random.Random(20)
        start, end = (datetime.fromisoformat(t) for t in times)
        instants = [start + (end - start) * rng.random() for _ in range(20)]
        ids = _sample(source, rng)
        assert _reads(source, instants, ids) == _reads(target, instants, ids)
        # The position sequence continues after the imported log.
        target.app.check_in(_open_kr(target), value=1.0, actor="admin", channel="cli")
        assert target.feed().head() == last + 1
    finally:
        source.close()
        target.close()

    first_export = gzip.decompress(exported.read_bytes()).splitlines()
    second_export = again.read_bytes().splitlines()
    assert first_export[1:] == second_export[1:]
    assert ({**orjson.loads(first_export[0]), "exported_at": 0}
            == {**orjson.loads(second_export[0]), "exported_at": 0})


def _verified_head(output: str) -> str:
    """`POSITION HASH` of okr verify's `verified N events, head POSITION HASH`."""
    line = next(line for line in output.splitlines() if line.startswith("verified "))
    return line.split(", head ", 1)[1]


def _open_kr(store: Store) -> str:
    with store.pool.connection() as conn:
        cycle = next(c["key"] for c in q.cycles(conn) if c["status"] == "open")
        tree = q.alignment_tree(conn, cycle)
    assert tree is not None
    return str(tree["roots"][0]["key_results"][0]["id"])

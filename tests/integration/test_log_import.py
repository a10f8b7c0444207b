"""okr import: the golden v1 log imports and answers as it did; refusals store nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import orjson
import psycopg
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from eventstore.txtime import loading
from okr.bootstrap import start_store
from okr.cli import app as cli
from okr.settings import Settings
from tests.support import golden
from tests.support.importing import wait_until_an_import_copies

LINES = golden.LOG.read_bytes().splitlines(keepends=True)


def _okr(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"OKR_DATABASE_URL": database_url})
    return result.exit_code, result.output


def _head(database_url: str) -> int:
    """The last stored position; no seal may be stored beyond the events."""
    store = start_store(Settings(database_url=SecretStr(database_url)))
    try:
        with psycopg.connect(database_url) as conn:
            sealed = conn.execute("SELECT coalesce(max(position), 0) FROM okr_integrity_seals"
                                  ).fetchone()
        head = store.feed().head()
        assert sealed is not None and sealed[0] <= head
        return head
    finally:
        store.close()


def test_golden_v1_log_imports_and_answers_every_read_as_when_it_was_exported(
        database_url: str, tmp_path: Path) -> None:
    code, output = _okr(database_url, "import", str(golden.LOG))
    assert code == 0, output

    expected = orjson.loads(golden.EXPECTED.read_bytes())
    store = start_store(Settings(database_url=SecretStr(database_url)))
    try:
        answers = golden.answers(store, [datetime.fromisoformat(t) for t in expected["instants"]],
                                 datetime.fromisoformat(expected["now"]))
    finally:
        store.close()
    assert answers == golden.cycles_known(golden.current_types(expected["answers"]))

    again = tmp_path / "again.ndjson"
    assert _okr(database_url, "export", str(again))[0] == 0
    exported = again.read_bytes().splitlines(keepends=True)
    assert exported[1:] == LINES[1:]
    header, original = orjson.loads(exported[0]), orjson.loads(LINES[0])
    assert {**header, "exported_at": None} == {**original, "exported_at": None}


def _write(tmp_path: Path, lines: list[bytes]) -> str:
    path = tmp_path / "log.ndjson"
    path.write_bytes(b"".join(lines))
    return str(path)


def _changed(line: bytes, **fields: object) -> bytes:
    return orjson.dumps({**orjson.loads(line), **fields}) + b"\n"


def _tampered_state(line: bytes) -> bytes:
    """The stored state and the envelope changed alike: only the chain can tell."""
    value = orjson.loads(line)
    value["stored"]["state"] = value["stored"]["state"].replace('"Eng', '"Fin')
    value["data"] = {k: v.replace("Eng", "Fin") if isinstance(v, str) else v
                     for k, v in value["data"].items()}
    return orjson.dumps(value) + b"\n"


def _swap_versions(lines: list[bytes]) -> list[bytes]:
    """Two events of one aggregate exchange their places (each keeps its position)."""
    by_aggregate: dict[str, list[int]] = {}
    for index, line in enumerate(lines[1:], start=1):
        by_aggregate.setdefault(orjson.loads(line)["aggregate_id"], []).append(index)
    first, second = next(ix for ix in by_aggregate.values() if len(ix) > 2)[1:3]
    swapped = list(lines)
    swapped[first], swapped[second] = lines[second], lines[first]
    return swapped


TEAM = next(i for i, line in enumerate(LINES) if b'"okr.team.created.v1"' in line
            and b'"Engineering"' in line)



def _replaced(index: int, line: bytes) -> list[bytes]:
    return [*LINES[:index], line, *LINES[index + 1:]]


REFUSALS = {
    "truncated line": ([*LINES[:100], LINES[100][:57]], "not a JSON object", 101),
    "truncated file": (LINES[:100], "truncated", 101),
    "duplicated event": ([*LINES[:50], LINES[49], *LINES[50:]], "duplicate event", 51),
    "out-of-order versions": (_swap_versions(LINES), "out of order", None),
    "tampered payload": (_replaced(TEAM, _changed(LINES[TEAM], data={"name": "X"})),
                         "data differ", TEAM + 1),
    "tampered stored event": (_replaced(TEAM, _tampered_state(LINES[TEAM])),
                              "chain does not verify", TEAM + 1),
    "unknown type": (_replaced(3, _changed(LINES[3], stored={"topic": "domain.x:X.Y",
                                                              "state": "{}"})),
                     "not an event of this release", 4),
    "not a log": ([b'{"hello": "world"}\n'], "not an exported okr-ledger log", 1),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_import_refuses_a_damaged_file_in_one_line_and_records_nothing(
        case: str, database_url: str, tmp_path: Path) -> None:
    lines, reason, line_number = REFUSALS[case]

    code, output = _okr(database_url, "import", _write(tmp_path, lines))

    assert code == 1
    last = output.strip().splitlines()[-1]
    assert reason in last
    assert f"(line {line_number})" in last if line_number else "(line " in last
    assert _head(database_url) == 0


def test_import_refuses_a_store_that_is_not_empty(database_url: str) -> None:
    store = start_store(Settings(database_url=SecretStr(database_url)))
    try:
        store.app.create_team(name="Already here", parent_id=None, actor="admin")
    finally:
        store.close()

    code, output = _okr(database_url, "import", str(golden.LOG))

    assert code == 1
    assert output.strip().splitlines()[-1] == (
        "import refused: the event store is not empty: import only into an empty one (line 1)")
    assert _head(database_url) == 1


def test_import_refuses_a_store_that_was_used_before(database_url: str) -> None:
    start_store(Settings(database_url=SecretStr(database_url))).close()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO okr_tracking (name, position) VALUES ('projection:x', 7)")

    code, output = _okr(database_url, "import", str(golden.LOG))

    assert code == 1
    assert output.strip().splitlines()[-1].startswith("import refused: the store was used before")
    assert _head(database_url) == 0


def test_an_imported_store_is_sealed_and_records_transaction_time_without_okr_upgrade(
        database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        start_store(Settings(database_url=SecretStr(database_url))).close()
        # An empty store created before transaction time (not adopted): import adopts it.
        conn.execute("UPDATE okrledger_clock SET adopted = false")

    code, output = _okr(database_url, "import", str(golden.LOG))
    assert code == 0, output

    header = orjson.loads(LINES[0])
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT adopted FROM okrledger_clock").fetchone() == (True,)
        assert conn.execute(  # the column says what the state says, for every event
            "SELECT count(*) FROM okrledger_events WHERE recorded_at IS DISTINCT FROM "
            "(convert_from(state, 'UTF8')::jsonb #>> '{timestamp,_data_}')::timestamptz"
        ).fetchone() == (0,)
        seals = conn.execute("SELECT count(*), max(position) FROM okr_integrity_seals"
                             ).fetchone()
        last_time = conn.execute("SELECT max(recorded_at) FROM okrledger_events").fetchone()
    assert seals == (header["last_position"], header["last_position"])
    code, output = _okr(database_url, "verify", "--expect",
                        f"{header['last_position']}:{header['head_hash']}")
    assert code == 0, output
    store = start_store(Settings(database_url=SecretStr(database_url)))
    try:
        team = store.app.create_team(name="After the import", parent_id=None, actor="admin")
    finally:
        store.close()
    assert team.position == header["last_position"] + 1
    with psycopg.connect(database_url) as conn:
        recorded = conn.execute("SELECT recorded_at FROM okrledger_events "
                                "WHERE notification_id = %s", (team.position,)).fetchone()
    assert last_time is not None and recorded is not None and recorded[0] > last_time[0]


def test_an_import_killed_midway_leaves_the_store_empty(database_url: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "okr.cli", "import", "-"], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "OKR_DATABASE_URL": database_url})
    assert process.stdin is not None
    try:
        process.stdin.write(b"".join(LINES[: len(LINES) // 2 + 1]))
        process.stdin.flush()
        wait_until_an_import_copies(database_url)
    finally:
        process.kill()
        process.wait()
    assert _head(database_url) == 0
    code, output = _okr(database_url, "import", str(golden.LOG))
    assert code == 0, output


def test_export_refuses_while_a_loading_session_writes(database_url: str,
                                                       tmp_path: Path) -> None:
    store = start_store(Settings(database_url=SecretStr(database_url)))
    try:
        with loading(store.app):
            code, output = _okr(database_url, "export", str(tmp_path / "log.ndjson"))
    finally:
        store.close()
    assert code == 1
    assert "the store is loading" in output
    assert not list(tmp_path.iterdir())  # not even a partial file

# ruff: noqa: F811 - pytest fixtures imported from tests.support.pg_process are parameters here
"""A misconfigured `okr` says what is wrong in one line, within 3 s, with exit status 2:
where, why, and the setting to fix; nothing is started or generated before that."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import psycopg
import pytest

from tests.support.okr_process import okr, okr_env
from tests.support.pg_process import PostgresProcess, free_port, pg_process, pg_template  # noqa: F401

LIMIT = 3.0  # seconds from the start of `okr`, on an idle machine


@pytest.fixture(scope="module")
def start_cost() -> float:
    """What starting `okr` costs here without any check (imports; more on a busy machine)."""
    began = time.monotonic()
    okr("--help", env=okr_env())
    return time.monotonic() - began


def failed_at_once(*args: str, start_cost: float, **settings: str) -> str:
    """Run `okr *args` with `settings`; assert the operator's one line; return it."""
    began = time.monotonic()
    ended = okr(*args, env=okr_env(**settings))
    took = time.monotonic() - began
    lines = [line for line in ended.stderr.splitlines() if line.strip()]
    assert ended.returncode == 2, ended.stderr
    assert "Traceback" not in ended.stderr
    assert len(lines) == 1, ended.stderr
    # The checks themselves take at most LIMIT less an idle machine's start (~0.7 s).
    assert took - start_cost <= LIMIT - 0.7, f"{took:.2f} s (start {start_cost:.2f} s): {lines}"
    return lines[0]


def refused_url() -> str:
    return f"postgresql://okr:secret@127.0.0.1:{free_port()}/okr"


@pytest.mark.parametrize(("url", "words"), [
    (None, ["127.0.0.1:", "connection refused"]),
    ("postgresql://okr@no-such-host.invalid:5432/okr",
     ["no-such-host.invalid:5432", "unknown host"]),
    ("postgresql://okr@127.0.0.1:port/okr", ["not a valid URL"]),
    ("mysql://okr@127.0.0.1/okr", ["not a postgresql:// URL"]),
])
def test_an_unusable_database_url_is_one_line_naming_the_host_and_the_cause(
    start_cost: float, tmp_path: Path, url: str | None, words: list[str]
) -> None:
    line = failed_at_once("serve", start_cost=start_cost, database_url=url or refused_url(),
                          data_dir=str(tmp_path), port=str(free_port()))
    assert "OKR_DATABASE_URL" in line and "secret" not in line
    for word in words:
        assert word in line
    assert not (tmp_path / "bootstrap-token").exists()  # no token before the store answers


def test_refused_credentials_are_named_as_such(
    start_cost: float, pg_process: PostgresProcess, tmp_path: Path
) -> None:
    with psycopg.connect(pg_process.url, autocommit=True) as conn:
        conn.execute("CREATE ROLE okr_user LOGIN PASSWORD 'right'")
    hba = pg_process.pgdata / "pg_hba.conf"
    hba.write_text("host all okr_user 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    with psycopg.connect(pg_process.url, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    url = f"postgresql://okr_user:wrong@127.0.0.1:{pg_process.port}/postgres"
    line = failed_at_once("serve", start_cost=start_cost, database_url=url,
                          data_dir=str(tmp_path), port=str(free_port()))
    assert f"127.0.0.1:{pg_process.port}" in line and "authentication failed" in line
    assert "OKR_DATABASE_URL" in line and "wrong" not in line


@pytest.mark.parametrize("command", [
    ["serve"], ["project"], ["rebuild"], ["demo"], ["relay"], ["consume", "tree-mirror"],
])
def test_every_command_that_opens_the_store_says_it_cannot_in_one_line(
    start_cost: float, tmp_path: Path, command: list[str]
) -> None:
    line = failed_at_once(*command, start_cost=start_cost, database_url=refused_url(),
                          data_dir=str(tmp_path), kafka_bootstrap_servers="127.0.0.1:9",
                          port=str(free_port()))
    assert "connection refused" in line and "OKR_DATABASE_URL" in line


def test_an_unusable_data_dir_is_one_line_naming_it(start_cost: float, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    line = failed_at_once("serve", start_cost=start_cost, data_dir=str(blocker / "data"),
                          port=str(free_port()))
    assert "OKR_DATA_DIR" in line and str(blocker / "data") in line


def test_a_data_dir_that_cannot_keep_the_token_is_one_line(
    start_cost: float, pg_process: PostgresProcess, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    line = failed_at_once("serve", start_cost=start_cost, database_url=pg_process.url,
                          data_dir=str(blocker / "d"), port=str(free_port()))
    assert "OKR_DATA_DIR" in line and "OKR_BOOTSTRAP_TOKEN" in line


def test_a_port_in_use_is_said_before_anything_starts(start_cost: float, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = failed_at_once("serve", start_cost=start_cost, data_dir=str(tmp_path / "data"),
                              port=str(port))
    assert f"port {port}" in line and "in use" in line and "OKR_PORT" in line
    assert "/docs" not in line
    assert not (tmp_path / "data").exists()  # neither the database nor a token was made


@pytest.mark.parametrize(("settings", "name"), [
    ({"port": "eighty"}, "OKR_PORT"),
    ({"port": "70000"}, "OKR_PORT"),
    ({"log_level": "loud"}, "OKR_LOG_LEVEL"),
    ({"host": "no-such-host.invalid"}, "OKR_HOST"),
    ({"kafka_partitions": "0"}, "OKR_KAFKA_PARTITIONS"),
])
def test_an_invalid_setting_is_one_line_naming_it(
    start_cost: float, tmp_path: Path, settings: dict[str, str], name: str
) -> None:
    line = failed_at_once("serve", start_cost=start_cost,
                          **{"data_dir": str(tmp_path), "port": str(free_port()), **settings})
    assert name in line

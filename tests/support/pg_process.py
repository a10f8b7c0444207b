"""A PostgreSQL server of the test's own, to stop, kill and start again under a running okr.

It runs pgserver's binaries directly on a TCP port of 127.0.0.1, like an external server
(`OKR_DATABASE_URL`). The cluster is made once per session (initdb takes seconds) and
copied for each server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

START_TIMEOUT = 30.0


def _bin(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def _user() -> str | None:
    """PostgreSQL will not run as root; pgserver's own user then (it creates it)."""
    if os.geteuid() != 0:
        return None
    if subprocess.run(["id", "pgserver"], capture_output=True, check=False).returncode:
        subprocess.run(["useradd", "-s", "/bin/bash", "pgserver"], check=True)
    return "pgserver"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_cluster(folder: Path) -> Path:
    user = _user()
    folder.mkdir(parents=True, exist_ok=True)
    if user is not None:
        shutil.chown(folder, user, user)
    subprocess.run([_bin("initdb"), "-D", str(folder), "--auth=trust", "-U", "postgres",
                    "--encoding=utf8"], check=True, capture_output=True, user=user)
    return folder


class PostgresProcess:
    """One server in `pgdata` on `port`: start, stop (fast shutdown), kill -9, pause."""

    def __init__(self, pgdata: Path, port: int) -> None:
        self.pgdata = pgdata
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        log = (self.pgdata.parent / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            [_bin("postgres"), "-D", str(self.pgdata), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.pgdata)],
            stdout=log, stderr=subprocess.STDOUT, user=_user(), start_new_session=True)
        log.close()
        deadline, pause = time.monotonic() + START_TIMEOUT, threading.Event()
        while True:
            assert self.process.poll() is None, (self.pgdata.parent / "postgres.log").read_text()
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, "the test's PostgreSQL did not start"
                pause.wait(0.05)

    def stop(self) -> None:
        """Fast shutdown, as an operator or a failover would: clients are disconnected."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(30)

    def pause(self, resume: bool = False) -> None:
        """SIGSTOP (or SIGCONT) the server and every session: a database that hangs.
        (Each session is a process group of its own, so each is signalled.)"""
        assert self.process is not None
        server = psutil.Process(self.process.pid)
        for process in [server, *server.children(recursive=True)]:
            process.send_signal(signal.SIGCONT if resume else signal.SIGSTOP)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)


def _folder() -> Path:
    """Outside pytest's basetemp (kept private to root), so the server's user reaches it."""
    folder = Path(tempfile.mkdtemp(prefix="okr-test-pgproc-"))
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="session")
def pg_template() -> Iterator[Path]:
    folder = _folder()
    yield make_cluster(folder / "pgdata")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_process(pg_template: Path) -> Iterator[PostgresProcess]:
    """A running server of this test's own (import with pg_template where used)."""
    folder = _folder()
    pgdata = folder / "pgdata"
    subprocess.run(["cp", "-a", str(pg_template), str(pgdata)], check=True)  # owner kept
    server = PostgresProcess(pgdata, free_port())
    server.start()
    yield server
    server.kill()
    shutil.rmtree(folder, ignore_errors=True)

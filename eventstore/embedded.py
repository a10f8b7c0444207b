"""The embedded PostgreSQL: started in OKR_DATA_DIR, supervised, stopped with its owner.

The `okr` process that starts the server owns it: the server is its child and stops with
it, whatever the exit path (`stop()`, interpreter exit, or the kernel's signal when the
process dies). Every `okr` process using the folder supervises the server: when it is gone
(killed, crashed, or its owner exited) the first to notice starts it again, as its own
child. A server that no live `okr` process owns (left by an older version) is stopped and
started again as ours.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from eventstore import postmaster
from eventstore.postmaster import PidFile, alive
from eventstore.startup import StartupError

log = logging.getLogger(__name__)
READY_TIMEOUT = 30.0
FIRST_START_ATTEMPTS = 3  # a server killed a moment ago may still hold its shared memory


class EmbeddedFailed(Exception):
    """The embedded server did not start; the message says why (from its log)."""


class EmbeddedPostgres:
    """A real PostgreSQL server in `data_dir/pgdata`, on a Unix socket in that folder."""

    def __init__(self, data_dir: Path, *, check_every: float = 0.5) -> None:
        self.data_dir = data_dir
        self.pgdata = (data_dir / "pgdata").absolute()
        self.check_every = check_every
        self.restarts = 0
        self._child: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._creator = os.getpid()

    @property
    def log_file(self) -> Path:
        return self.pgdata / "log"

    @property
    def owner_file(self) -> Path:
        return self.data_dir / "postgres.owner"

    def start(self) -> str:
        """Start (or join) the server and supervise it; the URL of its `postgres` database."""
        self._prepare()
        self._thread = threading.Thread(target=self._supervise, daemon=True,
                                        name="okr-embedded-postgres")
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self.stop()
            raise StartupError(
                f"the embedded PostgreSQL in {self.pgdata} did not start: {self._error}; "
                "check OKR_DATA_DIR (or set OKR_DATABASE_URL)") from None
        atexit.register(self.stop)
        return self.server_url()

    def server_url(self) -> str:
        info = PidFile.read(self.pgdata)
        if info is None:
            raise EmbeddedFailed("postmaster.pid is gone")
        return f"postgresql://postgres:@/postgres?host={info.socket_dir}&port={info.port}"

    @property
    def pid(self) -> int | None:
        """The running server's pid (ours or another okr process's)."""
        info = PidFile.read(self.pgdata)
        return info.pid if info is not None and alive(info.pid) else None

    def stop(self) -> None:
        """Stop supervising; stop the server when this process started it."""
        if os.getpid() != self._creator:
            return  # a forked child has a copy of this object: the server is not its own
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(15)
        atexit.unregister(self.stop)

    def _prepare(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".okr-write-test"
            probe.touch()
            probe.unlink()
            postmaster.initdb(self.pgdata)
        except OSError as error:
            raise StartupError(
                f"OKR_DATA_DIR {self.data_dir} is not usable ({error.strerror or error}); set "
                "OKR_DATA_DIR to a writable folder (or OKR_DATABASE_URL)") from None
        # pgserver's record of the processes using the server; we no longer use it.
        (self.pgdata / ".handle_pids.json").unlink(missing_ok=True)

    def _supervise(self) -> None:
        """Runs on a thread of its own, which must outlive the child it starts: the
        kernel signals the child when the thread that started it ends."""
        try:
            self._first_start()
            backoff = self.check_every
            while not self._stop.wait(backoff):
                try:
                    self._ensure_running()
                    backoff = self.check_every
                except (EmbeddedFailed, OSError) as error:
                    log.warning("the embedded PostgreSQL did not start (%s); retrying", error)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self._started.set()
            self._stop_own()

    def _first_start(self) -> None:
        for attempt in range(1, FIRST_START_ATTEMPTS + 1):
            try:
                self._ensure_running()
                break
            except (EmbeddedFailed, OSError) as error:
                if attempt == FIRST_START_ATTEMPTS:
                    self._error = error
                    self._stop.set()
                    return
                self._stop.wait(0.5 * attempt)
        self._started.set()

    def _ensure_running(self) -> None:
        if self._child is not None:
            code = self._child.poll()
            if code is None:
                return
            self._child = None
            self.restarts += 1
            why = (f"killed by signal {-code}" if code < 0
                   else f"exit code {code}: {postmaster.last_error(self.log_file)}")
            log.warning("the embedded PostgreSQL stopped (%s); starting it again", why)
        elif self._runs_for_another_okr():
            return
        with self._folder_lock():
            if self._runs_for_another_okr():
                return  # another okr process started it meanwhile
            self._clear_leftover()
            self._spawn()

    def _runs_for_another_okr(self) -> bool:
        """True when a live server was started by a live okr process (its parent)."""
        info = PidFile.read(self.pgdata)
        if info is None or not alive(info.pid):
            return False
        try:
            owner = int(self.owner_file.read_text())
            return owner != os.getpid() and psutil.Process(info.pid).ppid() == owner
        except (OSError, ValueError, psutil.Error):
            return False

    def _clear_leftover(self) -> None:
        info = PidFile.read(self.pgdata)
        if info is None:
            return
        if alive(info.pid):
            log.warning("stopping a leftover embedded PostgreSQL (pid %d) that no okr "
                        "process owns, to run it as this process's own", info.pid)
            postmaster.stop_orphan(info.pid)
        # Its pid is dead (or a zombie, which PostgreSQL would take for a live server).
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def _spawn(self) -> None:
        child = postmaster.spawn(self.pgdata, postmaster.socket_dir(self.pgdata), self.log_file)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            info = PidFile.read(self.pgdata)
            if info is not None and info.pid == child.pid and info.status == "ready":
                break
            if child.poll() is not None:
                raise EmbeddedFailed(postmaster.last_error(self.log_file))
            if time.monotonic() > deadline:
                postmaster.stop_child(child)
                raise EmbeddedFailed(f"not ready after {READY_TIMEOUT:.0f} s")
            self._stop.wait(0.05)  # reading the pid file is the condition
        self._child = child
        self.owner_file.write_text(str(os.getpid()))
        log.info("embedded PostgreSQL running (pid %d) in %s", child.pid, self.pgdata)

    def _stop_own(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        postmaster.stop_child(child)
        with contextlib.suppress(OSError):
            if self.owner_file.read_text() == str(os.getpid()):
                self.owner_file.unlink()

    @contextlib.contextmanager
    def _folder_lock(self) -> Iterator[None]:
        """One okr process at a time checks and starts the server of this folder."""
        with (self.data_dir / "postgres.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

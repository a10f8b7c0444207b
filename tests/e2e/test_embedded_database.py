"""The embedded PostgreSQL is supervised: started again when it dies, stopped with the
`okr` process that started it whatever the way that process ends, never leaked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.support.http import Api
from tests.support.okr_process import ROOT, okr_serve, status, wait_for
from tests.support.pg_process import _bin, _user


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def running(pid: int | None) -> bool:
    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def servers_in(data_dir: Path) -> list[int]:
    """Every PostgreSQL server process working in `data_dir`."""
    pgdata = str((data_dir / "pgdata").resolve())
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if process.info["status"] != psutil.STATUS_ZOMBIE and "postgres" in (
                process.info["name"] or "") and any(pgdata in part for part in cmdline):
            found.append(process.pid)
    return found


def test_a_killed_embedded_database_is_started_again_and_okr_serve_recovers(
    tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with okr_serve(data_dir=str(data)) as served, served.client() as http:
        api = Api(http)  # type: ignore[arg-type]
        api.team("Before")
        killed = postmaster_pid(data)
        assert running(killed)
        os.kill(killed, signal.SIGKILL)  # type: ignore[arg-type]
        began = time.monotonic()
        recovered = wait_for(lambda: status(f"{served.base}/readyz") == 200
                             and postmaster_pid(data) not in (None, killed), 20, "recovery")
        write = api.post("/v1/teams", {"name": "After"})
        print(f"\nembedded PostgreSQL killed: answering again after {recovered:.2f} s "
              f"({time.monotonic() - began:.2f} s)")
        assert write.status_code == 201, write.text
        assert postmaster_pid(data) in servers_in(data)
        restarted = postmaster_pid(data)
        assert psutil.Process(restarted).ppid() == served.process.pid  # ours, supervised
    wait_for(lambda: not servers_in(data), 10, "the embedded server stopped with okr serve")


@pytest.mark.parametrize("ending", ["sigterm", "sigkill"])
def test_the_embedded_database_stops_when_okr_serve_ends(tmp_path: Path, ending: str) -> None:
    data = tmp_path / "data"
    with okr_serve(data_dir=str(data)) as served:
        pid = postmaster_pid(data)
        assert running(pid)
        if ending == "sigterm":
            code, took = served.terminate()
            assert code == 0 and took < 10
        else:  # a crash: nothing of okr runs any more, the kernel alone can stop it
            served.process.kill()
            served.process.wait()
        gone = wait_for(lambda: not running(pid), 10, f"the server stopped after {ending}")
    print(f"\nembedded PostgreSQL gone {gone:.2f} s after okr serve's {ending}")
    assert not servers_in(data)
    with okr_serve(data_dir=str(data)) as served:  # and it starts again, from the same folder
        assert status(f"{served.base}/readyz") == 200


def test_the_embedded_database_stops_when_its_process_ends_on_an_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = ("import sys; from pathlib import Path; from eventstore import open_store; "
              "open_store(None, Path(sys.argv[1])); raise RuntimeError('boom')")
    ended = subprocess.run([sys.executable, "-c", script, str(data)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60, check=False)
    assert "RuntimeError: boom" in ended.stderr
    assert not servers_in(data)


def test_a_leftover_embedded_database_no_okr_owns_is_replaced_and_not_leaked(
    tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with okr_serve(data_dir=str(data)) as served:
        served.terminate()  # made the folder and its database
    pgdata = data / "pgdata"
    # What an earlier version left after a crash: a detached server, a dead pid recorded.
    subprocess.run([_bin("pg_ctl"), "-D", str(pgdata), "-w", "-l", str(pgdata / "old.log"),
                    "-o", f'-h "" -k {pgdata}', "start"], check=True, capture_output=True,
                   user=_user())
    (pgdata / ".handle_pids.json").write_text("[999999]")
    leftover = postmaster_pid(data)
    assert running(leftover)
    with okr_serve(data_dir=str(data)) as served:
        assert not running(leftover)
        assert psutil.Process(postmaster_pid(data)).ppid() == served.process.pid
        served.process.kill()
    wait_for(lambda: not servers_in(data), 10, "no server left in the folder")

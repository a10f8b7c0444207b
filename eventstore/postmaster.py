"""One PostgreSQL server process from the `pgserver` wheel: create its folder, run it as a
child that dies with us, read its `postmaster.pid`, stop it.

The server runs as a child process of the `okr` process that started it, never detached
(pgserver's own `pg_ctl start` detaches it, so a crash of `okr` leaked it): the kernel
sends it SIGINT (fast shutdown) when its parent dies, whatever the way it dies.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

PR_SET_PDEATHSIG = 1
SYSTEM_USER = "pgserver"  # PostgreSQL refuses to run as root; pgserver's user when we are
# prctl(PR_SET_PDEATHSIG) is Linux's; elsewhere a leaked server is stopped at the next start.
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _pgserver() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver  # only the embedded default needs it (its binaries and helpers)

        return pgserver


def system_user() -> str | None:
    """The user the server runs as: ours, or `pgserver` when we are root."""
    return SYSTEM_USER if os.name == "posix" and os.geteuid() == 0 else None


def binary(name: str) -> Path:
    return Path(_pgserver().__file__).parent / "pginstall" / "bin" / name


def initdb(pgdata: Path) -> None:
    """Create the cluster in `pgdata` unless it exists (trust authentication: it listens
    on a socket in its own folder only). Raises OSError with initdb's own words."""
    pgdata.mkdir(parents=True, exist_ok=True)
    if (pgdata / "PG_VERSION").exists():
        return
    user = system_user()
    if user is not None:
        import pwd

        utils = _pgserver().utils
        utils.ensure_user_exists(user)
        utils.ensure_prefix_permissions(pgdata)
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    done = subprocess.run(  # noqa: S603 - our own binary, fixed arguments
        [str(binary("initdb")), "-D", str(pgdata), "--auth=trust", "--auth-local=trust",
         "--encoding=utf8", "-U", "postgres"],
        user=user, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise OSError(f"initdb failed: {lines[-1] if lines else done.returncode}")


def socket_dir(pgdata: Path) -> Path:
    """The folder of the server's Unix socket: `pgdata` itself unless its path is too long."""
    runtime = Path("/tmp/okr-pg-sockets")  # noqa: S108 - only when pgdata's path is too long
    folder: Path = _pgserver().utils.find_suitable_socket_dir(pgdata, runtime)
    if folder != pgdata:
        folder.chmod(0o777)
    return folder


@dataclass(frozen=True)
class PidFile:
    """What `postmaster.pid` says: the server's pid, socket folder, port and status."""

    pid: int
    socket_dir: str
    port: int
    status: str

    @classmethod
    def read(cls, pgdata: Path) -> PidFile | None:
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            return cls(int(lines[0]), lines[4].strip(), int(lines[3]),
                       lines[7].strip() if len(lines) > 7 else "")
        except (OSError, IndexError, ValueError):
            return None


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not reaped, does not count)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)


def spawn(pgdata: Path, sockets: Path, log: Path) -> subprocess.Popen[bytes]:
    """The server as our child, in a session of its own (a Ctrl-C meant for `okr` is for
    `okr` to handle), stopped by the kernel when the thread that started it ends."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            [str(binary("postgres")), "-D", str(pgdata), "-k", str(sockets), "-h", "",
             "-c", "logging_collector=off"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            user=system_user(), start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - async-signal-safe: one syscall
        )


SHUTDOWN = ((signal.SIGINT, 4.0), (signal.SIGQUIT, 1.0), (signal.SIGKILL, 1.0))


def stop_child(child: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT); immediate shutdown, then SIGKILL, if it takes too long."""
    for sig, grace in SHUTDOWN:
        if child.poll() is not None:
            return
        child.send_signal(sig)
        try:
            child.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_orphan(pid: int) -> None:
    """Stop a server that is not our child, the same way."""
    try:
        process = psutil.Process(pid)
        for sig, grace in SHUTDOWN:
            process.send_signal(sig)
            try:
                process.wait(grace)
                return
            except psutil.TimeoutExpired:
                continue
    except psutil.Error:
        return  # gone already


def last_error(log: Path) -> str:
    """The last FATAL or ERROR line of the server's log, for the operator."""
    try:
        lines = log.read_text(errors="replace").splitlines()[-50:]
    except OSError:
        return "no log"
    wanted = [line for line in lines if "FATAL" in line or "ERROR" in line]
    return (wanted or lines or ["no log"])[-1].strip()

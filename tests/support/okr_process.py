"""`okr` as an operator runs it: a real process, from this checkout, with OKR_* settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.http import BOOTSTRAP
from tests.support.pg_process import free_port

ROOT = Path(__file__).resolve().parents[2]


def okr_env(**settings: str) -> dict[str, str]:
    """The environment without any OKR_* of the caller's, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKR_")}
    return env | {f"OKR_{k.upper()}": v for k, v in settings.items()}


def okr(*args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run an `okr` command to its end (`python -m okr.cli` in this checkout)."""
    return subprocess.run([sys.executable, "-m", "okr.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
             interval: float = 0.05) -> float:
    """Seconds until `condition()` held; AssertionError after `timeout`."""
    began, pause = time.monotonic(), threading.Event()
    while not condition():
        assert time.monotonic() - began < timeout, f"{what}: not within {timeout} s"
        pause.wait(interval)
    return time.monotonic() - began


def status(url: str, timeout: float = 2.0) -> int | None:
    """The status `GET url` answers, None when nothing answers."""
    try:
        return httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError:
        return None


class OkrServe:
    """A running `okr serve`; `base` is its URL, the bootstrap token is BOOTSTRAP."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.base = f"http://127.0.0.1:{port}"
        self.log = log

    def client(self, timeout: float = 10.0) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=timeout,
                            headers={"Authorization": f"Bearer {BOOTSTRAP}"})

    def terminate(self, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM; (exit status, seconds it took to exit)."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        return code, time.monotonic() - began

    def output(self) -> str:
        """What it wrote to stderr so far."""
        return self.log.read_text(errors="replace")


@contextmanager
def okr_serve(**settings: str) -> Iterator[OkrServe]:
    """`okr serve` with `settings` (OKR_ names without the prefix), up and answering."""
    port = free_port()
    env = okr_env(**{"port": str(port), "bootstrap_token": BOOTSTRAP, "log_level": "warning",
                     **settings})
    log = Path(tempfile.mkstemp(prefix="okr-serve-", suffix=".log")[1])
    with log.open("wb") as err:  # a file, not a pipe: a chatty server must never block on it
        process = subprocess.Popen([sys.executable, "-m", "okr.cli", "serve"], env=env,
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    served = OkrServe(process, port, log)
    try:
        wait_for(lambda: process.poll() is not None or status(f"{served.base}/healthz") == 200,
                 60, "okr serve answering")
        assert process.poll() is None, served.output()
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)

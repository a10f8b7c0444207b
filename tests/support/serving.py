"""`okr serve` and other `okr` commands as real processes, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

OKR = str(Path(sys.executable).parent / "okr")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def okr_env(database_url: str, data_dir: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKR_")}
    return env | {"OKR_DATABASE_URL": database_url, "OKR_DATA_DIR": str(data_dir),
                  "OKR_LOG_LEVEL": "warning", **more}


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline, pause = time.monotonic() + timeout, threading.Event()
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pause.wait(0.1)
    raise AssertionError("okr serve did not come up")


@contextmanager
def okr_serve(database_url: str, data_dir: Path, token: str) -> Iterator[str]:
    """`okr serve` on a free port of this host; its base URL while it runs."""
    port = free_port()
    env = okr_env(database_url, data_dir, OKR_PORT=str(port), OKR_BOOTSTRAP_TOKEN=token)
    process = subprocess.Popen([OKR, "serve"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

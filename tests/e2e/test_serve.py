"""`okr serve`: one process with the API and projections; bootstrap token; clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from okr.commands.serve import bootstrap_token
from tests.support.http import bearer


def test_bootstrap_token_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    token, new = bootstrap_token(tmp_path / "data")
    assert new and len(token) > 40
    path = tmp_path / "data" / "bootstrap-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bootstrap_token(tmp_path / "data") == (token, False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@pytest.fixture
def serve(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKR_")}
    env |= {"OKR_DATABASE_URL": database_url, "OKR_PORT": str(port),
            "OKR_DATA_DIR": str(tmp_path / "data")}
    okr = str(Path(sys.executable).parent / "okr")
    process = subprocess.Popen([okr, "serve"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base, tmp_path / "data", process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_runs_api_and_projections_and_stops_on_sigterm(
    serve: tuple[str, Path, subprocess.Popen[bytes]]
) -> None:
    base, data_dir, process = serve
    token = (data_dir / "bootstrap-token").read_text().strip()
    with httpx.Client(base_url=base, headers=bearer(token), timeout=10) as http:
        created = http.post("/v1/teams", json={"name": "Served"})
        assert created.status_code == 201
        teams = http.get("/v1/teams", params={"after_position": created.json()["position"]})
        assert teams.json()["items"][0]["name"] == "Served"
        assert http.get("/readyz").status_code == 200
        with http.stream("GET", "/v1/events/stream") as stream:  # open at SIGTERM time
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            assert list(lines)[-1:] in ([], [""])  # the stream was ended, not cut
    err = process.stderr.read().decode() if process.stderr else ""
    assert token in err and f"{base}/docs" in err

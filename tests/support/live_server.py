"""Serve an ASGI app with uvicorn in a thread, on a port of its own, for browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

START_TIMEOUT_S = 10.0


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Yield the base URL (`http://127.0.0.1:PORT`) while uvicorn serves the app."""
    with socket.socket() as sock:
        # Bound and listening before uvicorn runs: no race for the port.
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning",
                                               timeout_graceful_shutdown=2))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name=f"live-server-{port}", daemon=True)
        thread.start()
        try:
            _wait_until(lambda: server.started or not thread.is_alive())
            assert server.started, "uvicorn did not start (see its log above)"
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(START_TIMEOUT_S)


def _wait_until(condition: Any, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    pause = threading.Event()
    while not condition() and time.monotonic() < deadline:
        pause.wait(0.01)

"""Running a long-lived part until SIGTERM or Ctrl-C, then stopping it cleanly."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

import typer

log = logging.getLogger(__name__)
STOP_WAIT = 8.0  # seconds a part gets to stop after SIGTERM


class Running(Protocol):
    """A part running on threads of its own: the projections, the relay."""

    @property
    def error(self) -> BaseException | None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while the block runs."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_until_signalled(
    running: Running, failure: str, tick: Callable[[], object] = lambda: None
) -> None:
    """Keep `running` going (calling `tick` every second) until SIGTERM, Ctrl-C or its own
    error; then stop it, and exit with status 1 if it failed."""
    with stop_on_signals() as stop:
        while not stop.wait(1.0) and running.error is None:
            tick()
    running.stop()
    running.join(timeout=STOP_WAIT)  # bounded: a database that hangs cannot hold it
    if running.error is not None:
        log.error("%s: %r", failure, running.error)
        raise typer.Exit(code=1)


def leave_stuck_threads(code: int = 0) -> None:
    """End the process now when threads are still stuck in calls to a database that hangs:
    every part was stopped (with bounded waits), and the interpreter would wait for those
    threads for ever."""
    others = [t for t in threading.enumerate()
              if t is not threading.current_thread() and not t.daemon]
    deadline = time.monotonic() + 0.5  # idle worker threads end on their own by then
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in others if t.is_alive()]
    if stuck:
        log.warning("exiting without %d threads stuck on the database (%s)", len(stuck),
                    ", ".join(stuck))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class AllOf:
    """Several running parts as one: the first error of any, stopped and joined together."""

    def __init__(self, *parts: Running) -> None:
        self.parts = parts

    @property
    def error(self) -> BaseException | None:
        return next((p.error for p in self.parts if p.error is not None), None)

    def stop(self) -> None:
        for part in self.parts:
            part.stop()

    def join(self, timeout: float | None = None) -> None:
        for part in self.parts:
            part.join(timeout)

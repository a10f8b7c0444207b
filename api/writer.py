"""The API's commands run on one writer thread; those that wait together commit together.

A route awaits its command without holding a worker thread. The writer takes every command
queued while it was busy and runs them as one batch (`OkrApplication.run_batch`): one lock,
one insert and one WAL flush for all of them, answered to each route with its own result or
error. Under load this is what lets writes share a flush, as independent row updates do; a
lone command is run at once, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from domain.application import OkrApplication
from domain.results import CommandKey, CommandResult
from eventstore.availability import DatabaseUnavailable
from eventstore.feed import DATABASE_UNAVAILABLE
from eventstore.txtime import StoreLoading

log = logging.getLogger(__name__)
MAX_BATCH = 200
# The request's Idempotency-Key (set by api/idempotency.py): commands run under it.
COMMAND_KEY: ContextVar[CommandKey | None] = ContextVar("okr_command_key", default=None)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Pending:
    call: Callable[[], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


class CommandWriter:
    """Runs the application's commands for the API, in batches, on one thread."""

    def __init__(
        self, app: OkrApplication, *, max_batch: int = MAX_BATCH,
        on_batch: Callable[[int], object] = lambda size: None,
    ) -> None:
        self.app = app
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="okr-command-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued commands, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def waiting(self) -> int:
        """Commands queued for the writer (approximately, as it drains them)."""
        return self._queue.qsize()

    async def submit(self, call: Callable[[], Any]) -> Any:
        if not self._thread.is_alive():
            raise RuntimeError("the command writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(Pending(call, loop, future))
        return await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stopping = self._drain(first)
            self.on_batch(len(batch))
            self._answer(batch, self._outcomes(batch))
            if stopping:
                return

    def _drain(self, first: Pending) -> tuple[list[Pending], bool]:
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _outcomes(self, batch: list[Pending]) -> list[Any]:
        try:
            return self.app.run_batch([item.call for item in batch])
        except StoreLoading as error:  # expected while okr demo loads: each caller gets 503
            return [error] * len(batch)
        except DatabaseUnavailable as error:  # known down: the monitor said so already
            log.debug("a batch of %d commands: %s", len(batch), error)
            return [error] * len(batch)
        except DATABASE_UNAVAILABLE as error:
            log.warning("a batch of %d commands failed: %r", len(batch), error)
            return [error] * len(batch)
        except Exception as error:  # the store failed as a whole: every caller hears of it
            log.exception("a batch of %d commands failed", len(batch))
            return [error] * len(batch)

    @staticmethod
    def _answer(batch: list[Pending], outcomes: list[Any]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
        for item, outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(item.loop, []).append((item.future, outcome))
        for loop, answers in by_loop.items():
            # A closed loop raises RuntimeError: its callers are gone, nobody waits any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, outcome in answers:
        if future.done():
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class Commands:
    """The application's use cases, run by the writer:
    `await commands.answer(commands.app.check_in, ...)`."""

    def __init__(self, writer: CommandWriter) -> None:
        self.writer = writer
        self.app = writer.app

    async def run(self, use_case: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        call: Callable[[], R] = functools.partial(use_case, *args, **kwargs)
        key = COMMAND_KEY.get()
        if key is not None:
            call = functools.partial(self.app.run_keyed, key, call)
        result: R = await self.writer.submit(call)
        return result

    async def answer(
        self, use_case: Callable[P, CommandResult], *args: P.args, **kwargs: P.kwargs
    ) -> dict[str, Any]:
        """The contract's answer `{id, version, position, warnings, ...}` of a use case."""
        return (await self.run(use_case, *args, **kwargs)).as_dict()

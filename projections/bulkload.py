"""The bulk load of a rebuild: the log, from the start, into shadow schemas.

In this process, or spread over worker processes that each read the log themselves and
report their progress and result as JSON lines. A worker's shadows are only ever seen after the
swap, so a failed or killed worker loses nothing: the rebuild fails and the live read models
stay as they were.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO

import orjson
import psycopg

from domain.application import OkrApplication
from eventstore.feed import EventFeed, RecordedEvent
from projections.base import ProjectionSpec, RebuildSession
from projections.registry import select

Progress = Callable[[str, int, int], None]
REBUILD_BATCH = 5000


class RebuildFailed(RuntimeError):
    """A worker process of a rebuild failed; the live read models are untouched."""


@dataclass(frozen=True)
class Source:
    """What a worker process needs to read the log and write shadows (sent as JSON)."""

    database_url: str
    app_env: dict[str, str]


def shadow(spec: ProjectionSpec) -> str:
    return f"{spec.schema}_rebuild"


def _batches(feed: EventFeed, position: int) -> Iterator[list[RecordedEvent]]:
    """The log after `position` in batches; the next batch is read and decoded on a thread
    while the caller applies the current one (the database does most of that work)."""
    with ThreadPoolExecutor(1, thread_name_prefix="okr-rebuild-read") as reader:
        pending = reader.submit(feed.read, position, REBUILD_BATCH)
        while batch := pending.result():
            pending = reader.submit(feed.read, batch[-1].position, REBUILD_BATCH)
            yield batch


def apply_batches(
    conn: psycopg.Connection[Any], feed: EventFeed, specs: list[ProjectionSpec],
    sessions: list[RebuildSession], position: int, on_progress: Progress, *,
    bulk: bool = False,
) -> int:
    """Every batch after `position` through the sessions, a transaction each; the last
    position applied."""
    head = feed.head()
    for batch in _batches(feed, position):
        with conn.transaction(), conn.cursor() as cur:
            if bulk:  # Only the swap's commit must be durable: a crash before it discards
                cur.execute("SET LOCAL synchronous_commit = off")  # the shadow anyway.
            for session in sessions:
                session.apply(cur, batch)
        position = batch[-1].position
        for spec in specs:
            on_progress(spec.name, position, max(head, position))
    return position


def bulk_load(
    conn: psycopg.Connection[Any], feed: EventFeed, specs: list[ProjectionSpec],
    on_progress: Progress,
) -> int:
    """The whole log into the specs' shadows, sessions finished; the last position."""
    sessions = [spec.session(shadow(spec)) for spec in specs]
    position = apply_batches(conn, feed, specs, sessions, 0, on_progress, bulk=True)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        for session in sessions:
            session.finish(cur)
    return position


def bulk_load_in_processes(
    source: Source, groups: list[list[ProjectionSpec]], on_progress: Progress,
) -> dict[str, int]:
    """Each group bulk-loaded by a worker process of its own; each projection's position.

    Workers are fresh interpreters (`python -m projections.bulkload`), told what to do on
    stdin and reporting one JSON line per message on stdout: nothing depends on how the
    calling program was started.
    """
    messages: queue.Queue[dict[str, Any]] = queue.Queue()
    workers = [_start_worker(source, [s.name for s in group], messages) for group in groups]
    try:
        return _collect(messages, sum(len(group) for group in groups), on_progress)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()


def _start_worker(
    source: Source, names: list[str], messages: queue.Queue[dict[str, Any]],
) -> subprocess.Popen[bytes]:
    worker = subprocess.Popen([sys.executable, "-m", "projections.bulkload"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert worker.stdin is not None and worker.stdout is not None
    with contextlib.suppress(BrokenPipeError):  # a worker gone at once: _relay reports it
        worker.stdin.write(orjson.dumps({**asdict(source), "names": names}))
        worker.stdin.close()
    threading.Thread(target=_relay, args=(worker, names, messages), daemon=True,
                     name=f"okr-rebuild-{names[0]}").start()
    return worker


def _relay(
    worker: subprocess.Popen[bytes], names: list[str], messages: queue.Queue[dict[str, Any]],
) -> None:
    """A worker's messages onto the queue, then how it ended."""
    assert worker.stdout is not None
    try:
        for line in worker.stdout:
            messages.put(orjson.loads(line))
    finally:  # whatever happens here, _collect must hear that the worker is gone
        messages.put({"kind": "exited", "names": names, "code": worker.wait()})


def _collect(
    messages: queue.Queue[dict[str, Any]], expected: int, on_progress: Progress,
) -> dict[str, int]:
    positions: dict[str, int] = {}
    while len(positions) < expected:
        message = messages.get()
        if message["kind"] == "progress":
            on_progress(message["name"], message["done"], message["total"])
        elif message["kind"] == "done":
            positions.update(dict.fromkeys(message["names"], message["position"]))
        elif message["kind"] == "failed":
            raise RebuildFailed(f"rebuilding {', '.join(message['names'])} failed:\n"
                                f"{message['error']}")
        elif not set(message["names"]) <= positions.keys():
            raise RebuildFailed(f"the worker rebuilding {', '.join(message['names'])} "
                                f"exited with code {message['code']} before it finished")
    return positions


def _report(reports: BinaryIO, **message: Any) -> None:
    reports.write(orjson.dumps(message) + b"\n")
    reports.flush()


def work(order: dict[str, Any], reports: BinaryIO) -> None:
    """A worker process: bulk-load the named projections, reporting on `reports`."""
    names: list[str] = order["names"]
    try:
        # The tables exist: the parent created them; a worker only reads the log.
        app = OkrApplication(env={**order["app_env"], "CREATE_TABLE": "n"})
        try:
            with psycopg.connect(order["database_url"], autocommit=True) as conn:
                position = bulk_load(conn, EventFeed(app), select(names), lambda name, done,
                                     total: _report(reports, kind="progress", name=name,
                                                    done=done, total=total))
        finally:
            app.close()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent reports
        raise SystemExit(130) from None
    except Exception:
        _report(reports, kind="failed", names=names, error=traceback.format_exc())
        raise SystemExit(1) from None
    _report(reports, kind="done", names=names, position=position)


if __name__ == "__main__":
    # Reports own stdout; anything else a library prints goes to stderr.
    reports, sys.stdout = sys.stdout.buffer, sys.stderr
    work(orjson.loads(sys.stdin.buffer.read()), reports)

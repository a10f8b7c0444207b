"""A long report streams in constant memory: the audit trail of a cycle with 50,000 entries
(about 150,000 rows: 25 MB of CSV, 48 MB of JSON) goes out a chunk at a time from a
server-side cursor, never whole in memory. Measured as the growth of the process's RSS
(server and client both run here), sampled every 5 ms."""

from __future__ import annotations

import gc
import threading

import httpx
import psutil
import pytest
from fastapi import FastAPI

from bench.dataset import Scale, load
from eventstore import Store
from eventstore.seals import seal_all
from projections.audit import AUDIT
from projections.runner import catch_up
from tests.support.http import BOOTSTRAP, bearer

ENTRIES = 50_000
BOUND = 20 * 2**20  # how much a download may grow the server's process at its peak


@pytest.fixture
def app(store: Store) -> FastAPI:
    """The API over a store loaded fast (batched saves), its read models and seals caught up
    before it starts."""
    from api.app import create_app
    from api.config import ApiConfig

    load(store.app, Scale("memory", objectives=40, key_results=160, check_ins=ENTRIES,
                          quarters=1), lambda done, total: None)
    catch_up(store)
    seal_all(store.pool, store.feed())
    return create_app(store, ApiConfig(bootstrap_token=BOOTSTRAP), start_background=True)


def streamed_peak(url: str, params: dict[str, str]) -> tuple[int, int]:
    """(bytes received, growth of this process's RSS at its peak while receiving) of one
    download; the server runs in this process too."""
    process, stop, peak = psutil.Process(), threading.Event(), [0]

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            stop.wait(0.005)  # the sampling interval

    with httpx.Client(base_url=url, timeout=120, headers=bearer(BOOTSTRAP)) as client:
        gc.collect()
        before = process.memory_info().rss
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with client.stream("GET", "/v1/reports/audit", params=params) as answer:
            assert answer.status_code == 200
            received = sum(len(chunk) for chunk in answer.iter_bytes())
        stop.set()
        sampler.join()
    return received, peak[0] - before


def test_the_audit_report_of_50000_entries_streams_in_bounded_memory(
    server: str, store: Store
) -> None:
    with store.pool.connection() as conn:
        row = conn.execute(f"SELECT count(*) FROM {AUDIT.schema}.entries").fetchone()
    assert row is not None and row[0] >= ENTRIES
    for fmt, at_least in (("json", 2 * BOUND), ("csv", BOUND), ("xlsx", 0)):
        received, growth = streamed_peak(server, {"format": fmt})
        assert received > at_least  # more than the memory it may take: never held whole
        assert growth < BOUND, f"{fmt}: the process grew by {growth / 2**20:.1f} MiB"

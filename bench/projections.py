"""Catch-up speed of the projections, and current versus as-of tree latency.

    python -m bench.projections [--events 100000] [--objectives 1000] [--database-url URL]

Records a cycle of `--objectives` objectives (4 KRs each) and check-ins up to `--events`
events (saved in batches through the application, loaded at historical times), then measures
`catch_up` over all projections (events/s) and the latency of the alignment tree now and
as of random past instants (p50/p95 over 40 queries each).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from domain import clock
from domain.application import OkrApplication
from domain.key_result import KeyResult
from eventstore import Store
from eventstore.database import EmbeddedPostgres, create_database, drop_database
from eventstore.txtime import loading
from okr.bootstrap import start_store
from okr.settings import Settings
from projections.runner import catch_up
from projections.tree import alignment_tree

START = datetime(2026, 7, 1, tzinfo=UTC)


class SteppingClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=5)
        return self.now


def record(app: OkrApplication, objectives: int, events: int) -> list[UUID]:
    team = app.create_team(name="Bench", parent_id=None, actor="bench").id
    app.create_cycle(key="B", starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30),
                     actor="bench")
    owner, krs, parents = {"type": "team", "id": team}, [], []
    for number in range(objectives):
        parent = random.choice(parents) if parents and number % 5 else None
        oid = UUID(app.create_objective(cycle="B", title=f"Objective {number:04}",
                                        description=None, owner=owner, parent_id=parent,
                                        actor="bench").id)
        parents.append(oid)
        krs += [UUID(app.add_key_result(oid, title=f"KR {k}", kind="numeric", start=0,
                                        target=100, actor="bench").id) for k in range(4)]
    while (app.recorder.max_notification_id() or 0) < events:
        batch = [app.repository.get(kr_id) for kr_id in random.sample(krs, 200)]
        for kr in batch:
            assert isinstance(kr, KeyResult)
            for _ in range(5):
                kr.check_in(value=random.uniform(0, 100), confidence=0.7, note=None,
                            effective_at=None, actor="bench", channel="cli")
        app.save(*batch)
    return krs


def percentile(samples: list[float], share: float) -> float:
    return statistics.quantiles(samples, n=100)[int(share * 100) - 1]


def tree_latency(store: Store, instants: list[datetime | None]) -> list[float]:
    samples = []
    with store.pool.connection() as conn:
        for instant in instants:
            began = time.perf_counter()
            alignment_tree(conn, "B", as_of=instant)
            samples.append((time.perf_counter() - began) * 1000)
    return samples


@contextmanager
def database(url: str | None) -> Iterator[str]:
    embedded = None
    if url is None:
        embedded = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="okr-bench-")))
        url = embedded.start()
    try:
        yield create_database(url, "okr_bench_projections")
    finally:
        drop_database(url, "okr_bench_projections")
        if embedded is not None:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--objectives", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("OKR_DATABASE_URL"))
    args = parser.parse_args()
    random.seed(7)
    with database(args.database_url) as url:
        store = start_store(Settings(database_url=url))
        try:
            stepping = SteppingClock(START)
            began = time.perf_counter()
            with loading(store.app), clock.clock_installed(stepping):
                record(store.app, args.objectives, args.events)
            head = store.feed().head()
            print(f"recorded {head:,} events in {time.perf_counter() - began:.1f} s")
            began = time.perf_counter()
            applied = catch_up(store)
            took = time.perf_counter() - began
            print(f"catch-up of {head:,} logged events into 3 projections ({applied:,} "
                  f"applications) in {took:.1f} s = {head / took:,.0f} log events/s")
            span = (stepping.now - START).total_seconds()
            past = [START + timedelta(seconds=random.uniform(0.5, 1.0) * span)
                    for _ in range(40)]
            current = tree_latency(store, [None] * 40)
            as_of = tree_latency(store, past)
            print(f"tree of {args.objectives} objectives, current: p50 "
                  f"{percentile(current, .5):.1f} ms, p95 {percentile(current, .95):.1f} ms")
            print(f"tree as_of random past instants: p50 {percentile(as_of, .5):.1f} ms, "
                  f"p95 {percentile(as_of, .95):.1f} ms")
        finally:
            store.close()


if __name__ == "__main__":
    main()

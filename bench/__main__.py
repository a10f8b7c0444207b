"""python -m bench --scale small|medium|large [--json PATH] [--only NAME,...]

Loads an organisation at the scale into a fresh database (embedded PostgreSQL unless
--database-url or OKR_DATABASE_URL names a server), catches the projections up, then
measures every metric against its baseline in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from bench import (  # noqa: F401 - they register metrics
    http_metrics,
    integrity_metrics,
    kafka_metrics,
    logfile,
    settle_metrics,
    sse_replay,
    store_metrics,
    ui_metrics,
)
from bench.dataset import SCALES, load
from bench.harness import REGISTRY, Context, Result
from eventstore.database import EmbeddedPostgres, create_database, drop_database
from eventstore.seals import seal_all
from okr.bootstrap import start_store
from okr.settings import Settings
from projections.runner import catch_up

console = Console()
DATABASE = "okr_bench"


@contextmanager
def server(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    embedded = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="okr-bench-")))
    try:
        yield embedded.start()
    finally:
        embedded.stop()


def _load(ctx_url: str, scale: str) -> tuple[list[str], float]:
    store = start_store(Settings(database_url=ctx_url))
    try:
        with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("load", total=None)
            began = time.perf_counter()
            quarters = load(store.app, SCALES[scale],
                            lambda done, total: bar.update(task, completed=done, total=total))
            took = time.perf_counter() - began
        console.print(f"loaded {store.feed().head():,} events in {took:.0f} s")
        began = time.perf_counter()
        catch_up(store)
        console.print(f"projections caught up in {time.perf_counter() - began:.0f} s")
        began = time.perf_counter()
        seal_all(store.pool, store.feed())
        console.print(f"integrity chain sealed in {time.perf_counter() - began:.0f} s")
        return [q.key for q in quarters], store.feed().head() / took
    finally:
        store.close()


def _table(results: dict[str, Result]) -> Table:
    table = Table("metric", "value", "baseline", "ratio", "goal", "met")
    for name, r in results.items():
        table.add_row(name, f"{r.value:,.2f} {r.unit}",
                      "-" if r.baseline is None else f"{r.baseline:,.2f}",
                      "-" if r.ratio is None else f"{r.ratio:,.2f}", r.goal,
                      "yes" if r.met else "[red]no[/red]")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", help="comma-separated metric names")
    parser.add_argument("--database-url", default=os.environ.get("OKR_DATABASE_URL"))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(REGISTRY)
    unknown = set(names) - set(REGISTRY)
    if unknown:
        parser.error(f"unknown metrics {sorted(unknown)}; known: {sorted(REGISTRY)}")
    with server(args.database_url) as server_url:
        drop_database(server_url, DATABASE)
        url = create_database(server_url, DATABASE)
        cycles, load_rate = _load(url, args.scale)
        store = start_store(Settings(database_url=url))
        results: dict[str, Result] = {}
        try:
            ctx = Context(store, url, args.scale, cycles, load_rate)
            for name in names:
                console.print(f"measuring {name}...")
                try:
                    results[name] = REGISTRY[name](ctx)
                except Exception:
                    console.print(f"[red]{name} failed[/red]\n{traceback.format_exc()}")
        finally:
            store.close()
            drop_database(server_url, DATABASE)
    console.print(_table(results))
    if args.json:
        args.json.write_text(json.dumps(
            {"scale": args.scale, "metrics": {n: r.as_dict() for n, r in results.items()}},
            indent=2))


if __name__ == "__main__":
    main()

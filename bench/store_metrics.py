"""Metrics of the store and projections: as-of versus replay, rebuild versus plain reads."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from typing import Any

import psutil

from bench.harness import Context, Result, bound_result, metric, p, ratio_result
from bench.replay import replay_tree
from projections.alignment import ALIGNMENT
from projections.directory import DIRECTORY
from projections.rebuild import rebuild
from projections.tree import alignment_tree

SAMPLES = 30


def _instants(ctx: Context, count: int, cycle: str | None = None) -> list[datetime]:
    """Random instants over the history of `cycle` (default: of every cycle)."""
    with ctx.store.pool.connection() as conn:
        row = conn.execute("SELECT min(recorded_from), max(recorded_from) "
                           f"FROM {ALIGNMENT.schema}.objective_versions "
                           "WHERE %(cycle)s::text IS NULL OR cycle = %(cycle)s",
                           {"cycle": cycle}).fetchone()
    assert row is not None and row[0] is not None
    low, high = row
    rng = random.Random(11)
    return [low + (high - low) * rng.random() + timedelta(seconds=1) for _ in range(count)]


def _cycle_at(ctx: Context, instant: datetime) -> str:
    with ctx.store.pool.connection() as conn:
        row = conn.execute(f"SELECT key FROM {DIRECTORY.schema}.cycles WHERE starts_on <= %s "
                           "ORDER BY starts_on DESC LIMIT 1", (instant.date(),)).fetchone()
    return str(row[0]) if row else ctx.cycles[0]


def _timed(function: Any, *args: Any, **kwargs: Any) -> float:
    began = time.perf_counter()
    function(*args, **kwargs)
    return (time.perf_counter() - began) * 1000


@metric("asof_vs_replay")
def asof_vs_replay(ctx: Context) -> Result:
    instants = _instants(ctx, 8)
    cycles = [_cycle_at(ctx, t) for t in instants]
    with ctx.store.pool.connection() as conn:
        projected = [_timed(alignment_tree, conn, c, as_of=t)
                     for _ in range(4) for c, t in zip(cycles, instants, strict=True)]
    replayed = [_timed(replay_tree, ctx.store.app, c, t)
                for c, t in zip(cycles[:3], instants[:3], strict=True)]
    speedup = p(replayed, 0.95) / p(projected, 0.95)
    return Result(p(projected, 0.95), p(replayed, 0.95), "speed-up >= 100", "ms (p95)",
                  speedup, speedup >= 100, "baseline: fold every stored event up to T")


def _read_all(ctx: Context) -> int:
    feed, position, count = ctx.store.feed(), 0, 0
    while batch := feed.read(position, 5000):
        position, count = batch[-1].position, count + len(batch)
    return count


@metric("rebuild_vs_read")
def rebuild_vs_read(ctx: Context) -> Result:
    began = time.perf_counter()
    events = _read_all(ctx)
    read_rate = events / (time.perf_counter() - began)
    began = time.perf_counter()
    rebuild(ctx.store)
    rebuild_rate = events / (time.perf_counter() - began)
    return ratio_result(rebuild_rate, read_rate, at_least=0.3, unit="events/s",
                        note="baseline: read and decode the same events, no projecting")


@metric("rebuild_peak_rss_mb")
def rebuild_peak_rss_mb(ctx: Context) -> Result:
    """`okr rebuild` in a child process; the peak of its RSS plus its workers' RSS, sampled
    every 20 ms (the rebuild spreads projections over worker processes)."""
    env = {**os.environ, "OKR_DATABASE_URL": ctx.database_url}
    with tempfile.TemporaryFile() as errors:
        child = psutil.Popen([sys.executable, "-m", "okr.cli", "rebuild"], env=env,
                             stdout=subprocess.DEVNULL, stderr=errors)
        peak, processes = 0, 1
        while child.poll() is None:
            tree = _process_tree(child)
            peak, processes = max(peak, _rss(tree)), max(processes, len(tree))
            time.sleep(0.02)  # the sampling interval itself, not a wait for a condition
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"okr rebuild exited with code {child.returncode}:\n"
                               f"{errors.read().decode(errors='replace')[-2000:]}")
    return bound_result(peak / 2**20, at_most=512, unit="MB",
                        note=f"sum over {processes} processes, sampled every 20 ms")


def _process_tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss(processes: list[psutil.Process]) -> int:
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total

"""Integrity chain and report metrics: sealing against writing, verifying against reading,
the alignment report against the tree it flattens."""

from __future__ import annotations

import asyncio
import secrets
import time
from statistics import median
from uuid import UUID

import psycopg

from bench.harness import Context, Result, metric, ratio_result
from bench.http_metrics import CLIENTS, _hammer, _latencies, okr_server, open_key_results
from bench.store_metrics import _instants, _read_all
from eventstore.seals import TRACKING_NAME, events_table_name, seal_all
from eventstore.verify import verify

WRITES = 4000
BATCH = 200  # the API writer's largest batch (api/writer.py MAX_BATCH)
WRITE_SECONDS = 5.0


def _write_rate(ctx: Context) -> float:
    """Check-ins/s through the write path the API uses: commands run in batches of the
    writer's size, each batch recorded in one transaction (group commit), in process."""
    app = ctx.store.app
    krs = [kr for kr, _, _ in open_key_results(ctx, BATCH)]

    def check_in(kr: UUID, value: float) -> object:
        return lambda: app.check_in(kr, value=value, confidence=0.5, channel="cli", actor="bench")

    began = time.perf_counter()
    for offset in range(0, WRITES, BATCH):
        outcomes = app.run_batch([check_in(krs[n % len(krs)], float(n % 100))
                                  for n in range(offset, offset + BATCH)])
        if any(isinstance(outcome, Exception) for outcome in outcomes):
            raise RuntimeError(f"a write failed: {outcomes}")
    return WRITES / (time.perf_counter() - began)


def _unseal(ctx: Context) -> None:
    with psycopg.connect(ctx.database_url, autocommit=True) as conn, conn.transaction():
        conn.execute("DELETE FROM okr_integrity_seals")
        conn.execute("UPDATE okr_tracking SET position = 0 WHERE name = %s", (TRACKING_NAME,))


@metric("seal_vs_write")
def seal_vs_write(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    krs = [kr for kr, _, _ in open_key_results(ctx, CLIENTS)]
    with okr_server(ctx, token) as base:
        done, failed = asyncio.run(_hammer(base, token, krs, WRITE_SECONDS))
    writes = done / WRITE_SECONDS
    ceiling = _write_rate(ctx)
    _unseal(ctx)
    began = time.perf_counter()
    sealed = seal_all(ctx.store.pool, ctx.store.feed())
    sealing = sealed / (time.perf_counter() - began)
    return ratio_result(sealing, writes, at_least=5, unit="events/s", note=(
        f"sealing the whole log ({sealed:,} events) from scratch on one thread; baseline: "
        f"check-ins through the API (its write path: {CLIENTS} clients, {WRITE_SECONDS:.0f} s "
        f"against okr serve, {failed} failed). Other write rates: the API writer's group "
        f"commit in process, no HTTP ({BATCH} commands a batch), {ceiling:,.0f}/s (ratio "
        f"{sealing / ceiling:.1f}); the bulk loader, {ctx.load_rate:,.0f}/s (ratio "
        f"{sealing / max(ctx.load_rate, 1):.1f})"))


def _verify(ctx: Context) -> int:
    verdict = verify(ctx.database_url, events_table_name(ctx.store.feed()))
    if not verdict.ok:
        raise RuntimeError(verdict.message())
    return verdict.verified


@metric("verify_vs_read")
def verify_vs_read(ctx: Context) -> Result:
    """Each side's best of three, measured in turns: the machine's load moves between
    helpers' runs more than either side does."""
    reading, verifying = [], []
    for _ in range(3):
        began = time.perf_counter()
        events = _read_all(ctx)
        reading.append(events / (time.perf_counter() - began))
        began = time.perf_counter()
        verified = _verify(ctx)
        verifying.append(verified / (time.perf_counter() - began))
    return ratio_result(max(verifying), max(reading), at_least=0.4, unit="events/s",
                        note="okr verify's check (events and seals through server-side "
                             "cursors, canonical bytes, SHA-256; ranges of 25,000 positions in "
                             "one worker process per core, in one exported snapshot); "
                             "baseline: read "
                             "and decode the same events in 5,000-event batches; best of 3 "
                             f"each, in turns (verify {min(verifying):,.0f}-"
                             f"{max(verifying):,.0f}, read {min(reading):,.0f}-"
                             f"{max(reading):,.0f} events/s)")


@metric("report_vs_tree")
def report_vs_tree(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    cycle = ctx.cycles[-1]
    instants = [{"cycle": cycle, "as_of": t.isoformat()} for t in _instants(ctx, 10, cycle)]
    reports = [{**query, "format": "csv"} for query in instants]
    with okr_server(ctx, token) as base:
        asyncio.run(_latencies(base, token, "/v1/alignment-tree", instants[:2]))
        asyncio.run(_latencies(base, token, "/v1/reports/alignment", reports[:2]))
        tree = asyncio.run(_latencies(base, token, "/v1/alignment-tree", instants))
        report = asyncio.run(_latencies(base, token, "/v1/reports/alignment", reports))
    return ratio_result(median(report), median(tree), at_most=2, unit="ms (median)",
                        note=f"cycle {cycle}, the same 10 instants over its history; the CSV "
                             "has one row per objective and per KR, with owners' names, "
                             "health, confidence and score")

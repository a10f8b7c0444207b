"""HTTP metrics: check-ins versus CRUD, as-of versus current tree, SSE fan-out."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import httpx
import psycopg

from bench.crud_baseline import DDL
from bench.harness import Context, Result, bound_result, metric, p, ratio_result
from bench.store_metrics import _instants
from consumers.brokers import free_port
from projections.alignment import ALIGNMENT

CLIENTS = 16
SECONDS = 10.0


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


@contextmanager
def server(command: list[str], env: dict[str, str], ready_path: str,
           port: int) -> Iterator[str]:
    process = subprocess.Popen(command, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + ready_path, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def okr_server(ctx: Context, token: str) -> Iterator[str]:
    port = free_port()
    env = {"OKR_DATABASE_URL": ctx.database_url, "OKR_BOOTSTRAP_TOKEN": token,
           "OKR_PORT": str(port), "OKR_LOG_LEVEL": "warning"}
    env.pop("OKR_KAFKA_BOOTSTRAP_SERVERS", None)
    with server([sys.executable, "-m", "okr.cli", "serve"], env, "/readyz", port) as base:
        yield base


def open_key_results(ctx: Context, count: int) -> list[tuple[UUID, float, float]]:
    with ctx.store.pool.connection() as conn:
        rows = conn.execute(
            f"SELECT id, start, target FROM {ALIGNMENT.schema}.kr_versions k WHERE NOT closed "
            "AND recorded_to = 'infinity' ORDER BY id LIMIT %s", (count,)).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


async def _hammer(base: str, token: str, krs: list[UUID], seconds: float) -> tuple[int, int]:
    headers = {"Authorization": f"Bearer {token}"}
    done, failed = 0, 0
    stop_at = time.perf_counter() + seconds

    async def client(kr: UUID) -> None:
        nonlocal done, failed
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            value = 0.0
            while time.perf_counter() < stop_at:
                value += 1
                answer = await http.post(f"/v1/key-results/{kr}/check-ins",
                                         json={"value": value % 100, "confidence": 0.8})
                if answer.status_code < 300:
                    done += 1
                else:
                    failed += 1

    await asyncio.gather(*(client(kr) for kr in krs))
    return done, failed


@metric("write_vs_crud")
def write_vs_crud(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    krs = open_key_results(ctx, CLIENTS)
    with okr_server(ctx, token) as base:
        done, failed = asyncio.run(_hammer(base, token, [k[0] for k in krs], SECONDS))
    ours = done / SECONDS
    with psycopg.connect(ctx.database_url, autocommit=True) as conn:
        conn.execute(DDL)
        conn.execute("TRUNCATE crud_key_results")
        for kr, start, target in krs:
            conn.execute("INSERT INTO crud_key_results (id, start, target) VALUES (%s, %s, %s)",
                         (kr, start, target))
    port = free_port()
    command = [sys.executable, "-m", "bench.crud_baseline", "--database-url", ctx.database_url,
               "--port", str(port), "--token", token]
    with server(command, {}, "/docs", port) as base:
        crud_done, crud_failed = asyncio.run(_hammer(base, token, [k[0] for k in krs], SECONDS))
    baseline = crud_done / SECONDS
    return ratio_result(ours, baseline, at_least=0.7, unit="check-ins/s",
                        note=f"{CLIENTS} clients for {SECONDS:.0f} s each; failures: ours "
                             f"{failed}, crud {crud_failed}")


async def _latencies(base: str, token: str, path: str, params: list[dict[str, Any]]) -> list[float]:
    samples = []
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        for query in params:
            began = time.perf_counter()
            answer = await http.get(path, params=query)
            answer.raise_for_status()
            samples.append((time.perf_counter() - began) * 1000)
    return samples


@metric("asof_vs_current")
def asof_vs_current(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    cycle = ctx.cycles[-1]
    instants = _instants(ctx, 40, cycle)
    with okr_server(ctx, token) as base:
        # A few unmeasured requests of each kind first: both start with warm caches.
        asyncio.run(_latencies(base, token, "/v1/alignment-tree", [
            {"cycle": cycle}, *({"cycle": cycle, "as_of": t.isoformat()} for t in instants[:4])]))
        current = asyncio.run(_latencies(base, token, "/v1/alignment-tree",
                                         [{"cycle": cycle}] * 40))
        as_of = asyncio.run(_latencies(base, token, "/v1/alignment-tree", [
            {"cycle": cycle, "as_of": t.isoformat()} for t in instants]))
    return ratio_result(p(as_of, 0.95), p(current, 0.95), at_most=1.5, unit="ms (p95)",
                        note=f"cycle {cycle}, 40 requests each, as_of uniform over "
                             "the cycle's history")


async def _sse_client(base: str, token: str, after: int, seen: dict[int, list[float]],
                      ready: asyncio.Event, stop: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    async with httpx.AsyncClient(base_url=base, timeout=None, headers=headers) as http, \
            http.stream("GET", "/v1/events/stream", params={"after": after}) as stream:
        ready.set()
        async for line in stream.aiter_lines():
            if line.startswith("id: "):
                seen.setdefault(int(line[4:]), []).append(time.perf_counter())
            if stop.is_set():
                return


async def _fanout(ctx: Context, base: str, token: str, clients: int, rate: float,
                  seconds: float) -> tuple[list[float], int]:
    head = ctx.store.feed().head()
    seen: dict[int, list[float]] = {}
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(clients)]
    tasks = [asyncio.create_task(_sse_client(base, token, head, seen, r, stop)) for r in readies]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
    krs = [k[0] for k in open_key_results(ctx, 50)]
    committed: dict[int, float] = {}
    began = time.perf_counter()
    for number in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, began + number / rate - time.perf_counter()))
        answer = await asyncio.to_thread(ctx.store.app.check_in, random.choice(krs),
                                         value=float(number % 100), actor="bench")
        committed[answer.position] = time.perf_counter()
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline and any(len(seen.get(pos, [])) < clients
                                                 for pos in committed):
        await asyncio.sleep(0.05)
    stop.set()
    for task in tasks:
        task.cancel()
    latencies = [(t - committed[pos]) * 1000 for pos in committed for t in seen.get(pos, [])]
    missing = len(committed) * clients - len(latencies)
    return latencies, missing


@metric("sse_fanout_p99_ms")
def sse_fanout_p99_ms(ctx: Context, clients: int = 200, rate: float = 50.0) -> Result:
    token = secrets.token_urlsafe(24)
    with okr_server(ctx, token) as base:
        latencies, missing = asyncio.run(_fanout(ctx, base, token, clients, rate, 10.0))
    return bound_result(p(latencies, 0.99), at_most=500, unit="ms (p99)",
                        note=f"{clients} clients, {rate:.0f} events/s for 10 s; p50 "
                             f"{p(latencies, 0.5):.0f} ms; {missing} deliveries missing")

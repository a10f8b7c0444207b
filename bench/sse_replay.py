"""sse_replay_stall_ms: how long /healthz takes while 50 SSE clients replay the log from 0.

The clients run here; /healthz is timed from a process of its own (bench/probe.py), so
that the clients' work never shows in its latencies.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from bench.harness import Context, Result, bound_result, metric, p
from bench.http_metrics import okr_server

CLIENTS = 50


@dataclass
class Replay:
    healthz_ms: list[float]  # every /healthz latency while the clients replayed
    seconds: float  # until the last client had the whole log
    clients: int


async def _replay_to(http: httpx.AsyncClient, head: int) -> None:
    """Follow the stream from position 0 until the frame of `head` arrived."""
    marker, tail = f"id: {head}\n".encode(), b""
    async with http.stream("GET", "/v1/events/stream", params={"after": 0}) as stream:
        async for chunk in stream.aiter_bytes():
            if marker in tail + chunk:
                return
            tail = chunk[-len(marker):]


async def _replays(base: str, token: str, head: int, clients: int) -> float:
    began = time.perf_counter()
    limits = httpx.Limits(max_connections=clients + 5)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        await asyncio.gather(*(_replay_to(http, head) for _ in range(clients)))
    return time.perf_counter() - began


def replay_stall(base: str, token: str, head: int, clients: int = CLIENTS) -> Replay:
    """`clients` SSE clients replay the log up to `head` while /healthz is timed."""
    prober = subprocess.Popen([sys.executable, "-m", "bench.probe", base, "/healthz"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert prober.stdout is not None and prober.stdin is not None
    try:
        assert prober.stdout.readline().strip() == "probing"
        seconds = asyncio.run(_replays(base, token, head, clients))
    finally:
        prober.stdin.close()  # stops it
        out = prober.stdout.read()
        prober.wait(30)
    return Replay(json.loads(out), seconds, clients)


@metric("sse_replay_stall_ms")
def sse_replay_stall_ms(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    head = ctx.store.feed().head()
    with okr_server(ctx, token) as base:
        replay = replay_stall(base, token, head)
    return bound_result(p(replay.healthz_ms, 0.99), at_most=100, unit="ms (p99)",
                        note=f"{replay.clients} clients replaying {head:,} events from 0 "
                             f"(done in {replay.seconds:.1f} s); /healthz p50 "
                             f"{p(replay.healthz_ms, 0.5):.1f} ms, max "
                             f"{max(replay.healthz_ms):.0f} ms, {len(replay.healthz_ms)} "
                             "samples")

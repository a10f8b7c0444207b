"""The wait of a read as of a just-passed instant, under the write load of `write_vs_crud`.

A read `as_of=T` answers only once T is settled: the store's horizon has passed T (no
event can be recorded at or before it any more) and the projections have processed the
last position recorded by then. The server reports that wait in `Server-Timing: settle`;
this metric is its p99 for T = now - 1 ms while 16 clients check in.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx

from bench.harness import Context, Result, bound_result, metric, p
from bench.http_metrics import CLIENTS, SECONDS, _hammer, okr_server, open_key_results

READERS = 4
SETTLE = re.compile(r"settle;dur=([0-9.]+), horizon;dur=([0-9.]+)")


async def _read_just_passed(base: str, token: str, krs: list[UUID], stop_at: float,
                            waits: list[float], horizons: list[float]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        while time.perf_counter() < stop_at:
            instant = datetime.now(UTC) - timedelta(milliseconds=1)
            kr = krs[len(waits) % len(krs)]
            answer = await http.get(f"/v1/key-results/{kr}",
                                    params={"as_of": instant.isoformat()})
            answer.raise_for_status()
            found = SETTLE.search(answer.headers.get("Server-Timing", ""))
            assert found, "a read as of an instant reports its settle wait"
            waits.append(float(found.group(1)))
            horizons.append(float(found.group(2)))


async def _under_load(
    base: str, token: str, krs: list[UUID],
) -> tuple[list[float], list[float], int]:
    waits: list[float] = []
    horizons: list[float] = []
    stop_at = time.perf_counter() + SECONDS
    (done, _), *_ = await asyncio.gather(
        _hammer(base, token, krs, SECONDS),
        *(_read_just_passed(base, token, krs, stop_at, waits, horizons)
          for _ in range(READERS)))
    return waits, horizons, done


@metric("asof_settle_wait_ms")
def asof_settle_wait_ms(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    krs = [k[0] for k in open_key_results(ctx, CLIENTS)]
    with okr_server(ctx, token) as base:
        waits, horizons, written = asyncio.run(_under_load(base, token, krs))
    return bound_result(
        p(waits, 0.99), at_most=100, unit="ms (p99)",
        note=f"{len(waits)} reads as of now - 1 ms by {READERS} clients while {CLIENTS} "
             f"clients checked in ({written / SECONDS:.0f}/s) for {SECONDS:.0f} s; "
             f"p50 {p(waits, 0.5):.1f} ms; of which the horizon: p50 "
             f"{p(horizons, 0.5):.1f} ms, p99 {p(horizons, 0.99):.1f} ms")

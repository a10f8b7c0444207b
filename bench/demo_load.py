"""Requests per second against a running `okr serve` holding the demo data.

    okr serve &  okr demo
    python -m bench.demo_load --token "$(cat var/okr/bootstrap-token)" [--base URL]

16 concurrent clients (httpx, asyncio) for 10 s each: POST check-ins on the open cycle's
key results, then GET /v1/alignment-tree of that cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx

CLIENTS = 16
SECONDS = 10.0


async def _run(base: str, token: str, request: Any) -> tuple[int, int]:
    done = failed = 0
    stop_at = time.perf_counter() + SECONDS

    async def client(number: int) -> None:
        nonlocal done, failed
        async with httpx.AsyncClient(base_url=base, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            while time.perf_counter() < stop_at:
                answer = await request(http, number)
                if answer.status_code < 300:
                    done += 1
                else:
                    failed += 1

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return done, failed


def open_key_results(base: str, token: str, cycle: str) -> list[str]:
    tree = httpx.get(f"{base}/v1/alignment-tree", params={"cycle": cycle}, timeout=30,
                     headers={"Authorization": f"Bearer {token}"}).json()
    found: list[str] = []
    stack = list(tree["roots"])
    while stack:
        node = stack.pop()
        found += [kr["id"] for kr in node["key_results"]]
        stack += node["children"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument("--cycle", default="2026-Q4")
    args = parser.parse_args()
    krs = open_key_results(args.base, args.token, args.cycle)

    async def check_in(http: httpx.AsyncClient, number: int) -> httpx.Response:
        return await http.post(f"/v1/key-results/{krs[number % len(krs)]}/check-ins",
                               json={"value": 1.0, "confidence": 0.7})

    async def tree(http: httpx.AsyncClient, _: int) -> httpx.Response:
        return await http.get("/v1/alignment-tree", params={"cycle": args.cycle})

    for name, request in (("POST check-ins", check_in), ("GET alignment-tree", tree)):
        done, failed = asyncio.run(_run(args.base, args.token, request))
        print(f"{name}: {done / SECONDS:,.0f} requests/s at {CLIENTS} clients "
              f"({failed} failed)")


if __name__ == "__main__":
    main()

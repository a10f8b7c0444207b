"""python -m bench.probe BASE PATH: time `GET PATH` back to back until stdin closes.

Prints `probing` once the first answer came, then, at the end, the latencies (ms) as a
JSON list. Standard library only, so it starts at once and costs the measured server
nothing but the requests.
"""

from __future__ import annotations

import http.client
import json
import select
import sys
import time
from urllib.parse import urlparse


def probe(base: str, path: str, pause: float = 0.01) -> list[float]:
    parts = urlparse(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    samples: list[float] = []
    while not samples or not select.select([sys.stdin], [], [], 0)[0]:
        began = time.perf_counter()
        conn.request("GET", path)
        conn.getresponse().read()
        samples.append((time.perf_counter() - began) * 1000)
        if len(samples) == 1:
            print("probing", flush=True)
        time.sleep(pause)
    return samples


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], sys.argv[2])))

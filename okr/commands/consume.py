"""`okr consume tree-mirror|alerts`: run a reference consumer of the Kafka topic."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import psycopg
import typer

from consumers.reference.alerts import Alerts
from consumers.reference.tree_mirror import TreeMirror
from consumers.toolkit import ConsumerApp, ConsumerConfig, EventConsumer
from eventstore.database import locate
from okr.bootstrap import database_url as ledger_database_url
from okr.commands.help import KAFKA, STORE, Command, Group, settings_epilog
from okr.commands.lifecycle import stop_on_signals
from okr.settings import Settings

log = logging.getLogger(__name__)
consume_app = typer.Typer(help="Run a reference consumer of the Kafka topic.",
                          no_args_is_help=True, cls=Group)
# The ledger's database is the default of --database-url.
EPILOG = settings_epilog(*STORE, *KAFKA)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="OKR_CONSUMER_DATABASE_URL", metavar="URL",
    help="The consumer's own PostgreSQL (default: the ledger's database).")]
GroupOption = Annotated[str | None, typer.Option("--group", help="Kafka consumer group.")]
ReplayOption = Annotated[bool, typer.Option(
    "--from-beginning", help="Clear this consumer's tables and replay the whole topic.")]
KafkaOption = Annotated[list[str] | None, typer.Option(
    "--kafka-option", metavar="KEY=VALUE", help="KafkaConsumer setting KEY=VALUE, repeatable "
    "(with Tansu: max_poll_interval_ms=3000 for fast group joins).")]


def kafka_options(pairs: list[str] | None) -> dict[str, Any]:
    """`["max_poll_records=50"]` -> `{"max_poll_records": 50}` (integers where they parse)."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}")
        options[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value
    return options


def _run(app: ConsumerApp, database_url: str | None, group: str | None, replay: bool,
         options: dict[str, Any], when_caught_up: Any = None, every: float = 60.0,
         after_commit: Any = None) -> None:
    settings = Settings()
    if not settings.kafka_bootstrap_servers:
        log.error("set OKR_KAFKA_BOOTSTRAP_SERVERS to consume")
        raise typer.Exit(code=2)
    embedded = None
    if database_url is None:
        database_url, embedded = locate(ledger_database_url(settings), settings.data_dir)
    config = ConsumerConfig(bootstrap_servers=settings.kafka_bootstrap_servers,
                            topic=settings.kafka_topic, group_id=group or f"okr-{app.name}",
                            kafka_options=options)
    consumer = EventConsumer(config, app, database_url=database_url, after_commit=after_commit)
    try:
        consumer.start(from_beginning=replay)
        with stop_on_signals() as stop:
            consumer.run(when_caught_up=when_caught_up, every=every, stop=stop)
    finally:
        consumer.close()
        if embedded is not None:
            embedded.stop()


@consume_app.command("tree-mirror", cls=Command, epilog=EPILOG)
def tree_mirror(database_url: DatabaseOption = None, group: GroupOption = None,
                from_beginning: ReplayOption = False, kafka_option: KafkaOption = None) -> None:
    """Mirror the alignment tree of every cycle into the consumer's tables."""
    _run(TreeMirror(), database_url, group, from_beginning, kafka_options(kafka_option))


@consume_app.command("alerts", cls=Command, epilog=EPILOG)
def alerts(
    database_url: DatabaseOption = None, group: GroupOption = None,
    from_beginning: ReplayOption = False, kafka_option: KafkaOption = None,
    webhook_url: Annotated[str | None, typer.Option(
        "--webhook-url", envvar="OKR_ALERTS_WEBHOOK_URL", metavar="URL",
        help="POST each alert here.")] = None,
    check_every: Annotated[float, typer.Option(
        "--check-every", metavar="SECONDS",
        help="Seconds between checks while idle (a check also follows every batch consumed "
             "once caught up).")] = 300.0,
) -> None:
    """Alert on key results of open cycles that turn at risk, lagging or stale (table
    `alerts`, the log, a webhook), judged once caught up with the topic: a replay raises only
    what holds now."""
    service = Alerts(webhook_url=webhook_url)

    def check(conn: psycopg.Connection[Any]) -> None:
        service.check(conn, datetime.now(UTC))

    _run(service, database_url, group, from_beginning, kafka_options(kafka_option),
         when_caught_up=check, every=check_every, after_commit=service.deliver)


def register(app: typer.Typer) -> None:
    app.add_typer(consume_app, name="consume")

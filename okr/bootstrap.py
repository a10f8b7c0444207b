"""Composition root: settings -> the store and the small configs of the api and the relay."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import typer
from rich.console import Console

from api.config import ApiConfig
from consumers.publisher.config import RelayConfig
from eventstore import Store, open_store
from eventstore.txtime import LegacyStore
from okr.settings import Settings


def start_store(
    settings: Settings | None = None, *, pool_size: int = 8, legacy: bool = False,
) -> Store:
    """The store the settings name (`OKR_DATABASE_URL`, else embedded in `OKR_DATA_DIR`).

    A store written before transaction time ends the command with a hint (`okr upgrade`),
    unless `legacy`.
    """
    settings = settings or Settings()
    try:
        return open_store(database_url(settings), settings.data_dir, pool_size=pool_size,
                          legacy=legacy)
    except LegacyStore as error:
        Console(stderr=True).print(f"[red]{error}[/red]", soft_wrap=True)
        raise typer.Exit(code=1) from None


def database_url(settings: Settings) -> str | None:
    return None if settings.database_url is None else settings.database_url.get_secret_value()


def api_config(settings: Settings) -> ApiConfig:
    token = settings.bootstrap_token
    return ApiConfig(bootstrap_token=None if token is None else token.get_secret_value())


def relay_config(settings: Settings, **overrides: Any) -> RelayConfig:
    """The relay's config from the settings; raises ValueError without Kafka configured."""
    if not settings.kafka_bootstrap_servers:
        raise ValueError("OKR_KAFKA_BOOTSTRAP_SERVERS is not set: nothing to publish to")
    config = RelayConfig(
        bootstrap_servers=settings.kafka_bootstrap_servers, topic=settings.kafka_topic,
        partitions=settings.kafka_partitions,
    )
    return replace(config, **overrides)

"""`okr serve`: the API, the projections and (with Kafka configured) the relay, in one process."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

import typer
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from rich.console import Console

from eventstore import Store
from okr.bootstrap import api_config, relay_config, start_store
from okr.commands.help import ALL, Command, settings_epilog
from okr.commands.lifecycle import stop_on_signals
from okr.settings import Settings

log = logging.getLogger(__name__)
TOKEN_FILE = "bootstrap-token"  # noqa: S105 - a file name, not a secret


def bootstrap_token(data_dir: Path) -> tuple[str, bool]:
    """The stored bootstrap token, or a new one written with mode 0600; (token, is_new)."""
    path = data_dir / TOKEN_FILE
    if path.exists():
        return path.read_text().strip(), False
    data_dir.mkdir(parents=True, exist_ok=True)
    token = f"okr_{secrets.token_urlsafe(32)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token, True


def with_bootstrap_token(settings: Settings, console: Console) -> Settings:
    """Settings with a bootstrap token: the configured one, else generated and printed."""
    if settings.bootstrap_token is not None:
        return settings
    token, new = bootstrap_token(settings.data_dir)
    where = settings.data_dir / TOKEN_FILE
    console.print(f"[bold]admin token[/bold] ({'generated, ' if new else ''}stored in {where}):")
    console.print(f"  [bold green]{token}[/bold green]")
    return settings.model_copy(update={"bootstrap_token": SecretStr(token)})


def start_relay_if_configured(store: Store, settings: Settings) -> Any:
    if not settings.kafka_bootstrap_servers:
        return None
    try:
        from consumers.publisher.relay import start_relay
    except ImportError:
        log.warning("Kafka is configured but the relay is not available; not publishing")
        return None
    return start_relay(store, relay_config(settings))


def apply_log_level(level_name: str) -> None:
    """`OKR_LOG_LEVEL` for the application's loggers too (access log included), not only
    uvicorn's; `--verbose` (debug) still wins."""
    level = logging.getLevelName(level_name.upper())
    root = logging.getLogger()
    if isinstance(level, int) and root.level != logging.DEBUG:
        root.setLevel(level)


class Server(uvicorn.Server):
    """uvicorn, also ending open event streams when asked to stop (else they hold it up)."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: Any) -> None:
        broadcaster = getattr(self.app.state, "broadcaster", None)
        if broadcaster is not None and broadcaster.loop is not None:
            broadcaster.loop.call_soon_threadsafe(broadcaster.close_clients)
        super().handle_exit(sig, frame)


def serve() -> None:
    """Run the API with the projections (and the Kafka relay when configured)."""
    from api.app import create_app

    console = Console(stderr=True)
    settings = with_bootstrap_token(Settings(), console)
    apply_log_level(settings.log_level)
    store = start_store(settings)
    relay = None
    try:
        relay = start_relay_if_configured(store, settings)
        app = create_app(store, api_config(settings), start_background=True, relay=relay)
        console.print(f"API docs: [bold]http://{settings.host}:{settings.port}/docs[/bold]")
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level=settings.log_level,
            timeout_graceful_shutdown=5, access_log=False, lifespan="on",
        )
        # uvicorn handles SIGTERM/SIGINT, shuts down (lifespan included), then re-raises the
        # signal to the handlers it found: ours only note it, so the cleanup below runs.
        with stop_on_signals():
            Server(config, app).run()
    finally:
        if relay is not None:
            relay.stop()
        store.close()


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*ALL))(serve)

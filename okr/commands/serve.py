"""`okr serve`: the API, the projections and (with Kafka configured) the relay, in one process."""

from __future__ import annotations

import errno
import logging
import os
import secrets
import socket
import threading
from pathlib import Path
from typing import Any

import typer
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from rich.console import Console

from eventstore import Store
from eventstore.startup import StartupError
from okr.bootstrap import api_config, relay_config, start_store
from okr.commands.help import ALL, Command, settings_epilog
from okr.commands.lifecycle import leave_stuck_threads, stop_on_signals
from okr.settings import Settings

log = logging.getLogger(__name__)
TOKEN_FILE = "bootstrap-token"  # noqa: S105 - a file name, not a secret
# SIGTERM: open requests get GRACEFUL_SECONDS, each part STOP_WAIT, all of it SHUTDOWN_LIMIT.
GRACEFUL_SECONDS, STOP_WAIT, SHUTDOWN_LIMIT = 3, 2.0, 9.5


def bootstrap_token(data_dir: Path) -> tuple[str, bool]:
    """The stored bootstrap token, or a new one written with mode 0600; (token, is_new)."""
    path = data_dir / TOKEN_FILE
    try:
        if path.exists():
            return path.read_text().strip(), False
        data_dir.mkdir(parents=True, exist_ok=True)
        token = f"okr_{secrets.token_urlsafe(32)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
    except OSError as error:
        raise StartupError(
            f"cannot keep the admin token in OKR_DATA_DIR {data_dir} ({error.strerror or error}); "
            "set OKR_DATA_DIR to a writable folder, or set OKR_BOOTSTRAP_TOKEN") from None
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


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound before anything else starts, so that a port
    in use is said at once, naming the setting to change."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise StartupError(f"cannot listen on OKR_HOST {host!r} ({error.strerror}); "
                           "set OKR_HOST to an address of this machine") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise StartupError(_listen_problem(host, port, error)) from None
    return sock


def _listen_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another server listens there); "
                "set OKR_PORT to a free port")
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (permission denied); set OKR_PORT"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"OKR_HOST {host} is not an address of this machine; set OKR_HOST"
    return f"cannot listen on {host}:{port} ({error.strerror or error}); check OKR_HOST, OKR_PORT"


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
    """uvicorn, also ending open event streams when asked to stop (else they hold it up),
    saying where the docs are once it listens, and never taking longer than
    `SHUTDOWN_LIMIT` to stop (a database that hangs cannot hold the process)."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, on_listening: Any) -> None:
        super().__init__(config)
        self.app = app
        self.on_listening = on_listening
        self._deadline: threading.Timer | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            self.on_listening()

    def handle_exit(self, sig: int, frame: Any) -> None:
        broadcaster = getattr(self.app.state, "broadcaster", None)
        if broadcaster is not None and broadcaster.loop is not None:
            broadcaster.loop.call_soon_threadsafe(broadcaster.close_clients)
        if self._deadline is None:
            self._deadline = threading.Timer(SHUTDOWN_LIMIT, _exit_now)
            self._deadline.daemon = True
            self._deadline.start()
        super().handle_exit(sig, frame)


def _exit_now() -> None:
    log.error("shutdown did not finish within %.0f s (is the database hanging?); exiting now",
              SHUTDOWN_LIMIT)
    logging.shutdown()
    os._exit(1)


def serve() -> None:
    """Run the API with the projections (and the Kafka relay when configured)."""
    console = Console(stderr=True)
    settings = Settings()
    apply_log_level(settings.log_level)
    sock = listen(settings.host, settings.port)  # a port in use is said before anything starts
    try:
        store = start_store(settings)
    except BaseException:
        sock.close()
        raise
    relay = None
    try:
        from api.app import create_app  # not before: a wrong setting is said at once

        settings = with_bootstrap_token(settings, console)  # only once the store answers
        relay = start_relay_if_configured(store, settings)
        app = create_app(store, api_config(settings), start_background=True, relay=relay)
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level=settings.log_level,
            timeout_graceful_shutdown=GRACEFUL_SECONDS, access_log=False, lifespan="on",
        )
        docs = f"http://{settings.host}:{settings.port}/docs"
        server = Server(config, app, lambda: console.print(f"API docs: [bold]{docs}[/bold]"))
        # uvicorn handles SIGTERM/SIGINT, shuts down (lifespan included), then re-raises the
        # signal to the handlers it found: ours only note it, so the cleanup below runs.
        with stop_on_signals():
            server.run(sockets=[sock])
    finally:
        if relay is not None:
            relay.stop(STOP_WAIT)
        store.close(timeout=0.5)
        sock.close()
    leave_stuck_threads()


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*ALL))(serve)

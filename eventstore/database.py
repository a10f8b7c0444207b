"""Where the event store lives: a PostgreSQL URL, or an embedded PostgreSQL server.

Both end as one `postgresql://` URL; everything after that is one code path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from eventstore.embedded import EmbeddedPostgres
from eventstore.postgres import LockedInsertRecorder
from eventstore.startup import check_reachable

log = logging.getLogger(__name__)
EMBEDDED_DATABASE = "okr"


def eventsourcing_env(url: str) -> dict[str, str]:
    """Translate a `postgresql://` URL into the library's POSTGRES_* settings.

    Works for TCP (`postgresql://u:p@host:5432/db`) and for Unix sockets
    (`postgresql://u@/db?host=/run/postgresql`).
    """
    parts = urlparse(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a postgresql:// URL: {parts.scheme}://...")
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": unquote(host),
        "POSTGRES_PORT": str(query.get("port", [parts.port or 5432])[0]),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_POOL_SIZE": "4",
        "POSTGRES_MAX_OVERFLOW": "8",
        "POSTGRES_LOCK_TIMEOUT": "10",
        # Saves in one round trip: lock, NOTIFY, insert and commit inside the server, so the
        # table lock is not held across a round trip to Python (eventstore/postgres.py).
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
        "APPLICATION_RECORDER_TOPIC": get_topic(LockedInsertRecorder),
        # Cached aggregates are fast-forwarded from the store before use, so several
        # processes writing the same aggregates stay correct (optimistic concurrency).
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    return env


def locate(database_url: str | None, data_dir: Path) -> tuple[str, EmbeddedPostgres | None]:
    """The URL of the store: the one given, else an embedded server's, started in `data_dir`.

    Raises StartupError (one line: where, why, which setting) when it cannot be reached."""
    if database_url is not None:
        check_reachable(database_url)
        return database_url, None
    embedded = EmbeddedPostgres(data_dir)
    try:
        return create_database(embedded.start(), EMBEDDED_DATABASE), embedded
    except BaseException:
        embedded.stop()
        raise


@contextmanager
def one_at_a_time(conn: psycopg.Connection[Any], name: str) -> Iterator[None]:
    """A transaction holding the advisory lock `name`, so the schema changes of processes
    starting together run one after the other (concurrent `CREATE ... IF NOT EXISTS` can
    still collide in the catalog)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
        yield


def with_database(url: str, dbname: str) -> str:
    """The same server URL, naming another database."""
    parts = urlparse(url)
    return parts._replace(path=f"/{dbname}").geturl()


def create_database(server_url: str, dbname: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return with_database(server_url, dbname)


def drop_database(server_url: str, dbname: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )

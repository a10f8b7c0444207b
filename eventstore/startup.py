"""Checks made before the store is opened, failing with one line an operator can act on."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import psycopg
from psycopg.conninfo import conninfo_to_dict

CHECK_TIMEOUT = 2  # seconds; `okr` must say what is wrong within 3 s
# Causes recognised in libpq's messages (lowercased), most specific first.
CAUSES = (
    ("password authentication failed", "authentication failed"),
    ("no pg_hba.conf entry", "authentication failed (no pg_hba.conf entry)"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("temporary failure in name resolution", "unknown host"),
    ("connection refused", "connection refused"),
    ("no such file or directory", "no server listening on the socket"),
    ("timeout expired", "timed out"),
    ("the database system is starting up", "the server is starting up"),
    ("the database system is shutting down", "the server is shutting down"),
    ("the database system is in recovery mode", "the server is recovering"),
    ("terminating connection due to administrator command", "the server shut down"),
    ("server closed the connection unexpectedly", "the connection was lost"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
    ("invalid response to ssl negotiation", "not a PostgreSQL server"),
)
MISSING = re.compile(r'(role|database) "([^"]*)" does not exist')


class StartupError(Exception):
    """One line for the operator: what failed, why, and the setting to fix."""


def cause_of(error: psycopg.Error) -> str:
    """A short cause for a failed connection: 'connection refused', 'unknown host'..."""
    text = str(error).strip()
    missing = MISSING.search(text)
    if missing is not None:
        kind, name = missing.groups()
        return (f"authentication failed (role {name!r} does not exist)" if kind == "role"
                else f"database {name!r} does not exist")
    lowered = text.lower()
    for marker, cause in CAUSES:
        if marker in lowered:
            return cause
    lines = [line for line in text.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else type(error).__name__
    # libpq: "connection failed: connection to server at ..., port 5432 failed: FATAL: why"
    return re.split(r"FATAL:|failed:|connection is bad:", last)[-1].strip() or last


def where(url: str) -> str:
    """`host:port/db` (or the socket folder) of a URL, never its password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "an unreadable URL"
    host = str(parts.get("host") or "localhost")
    port = str(parts.get("port") or 5432)
    dbname = parts.get("dbname") or parts.get("user") or "postgres"
    if host.startswith("/"):
        return f"socket {host}/.s.PGSQL.{port} database {dbname}"
    return f"{host}:{port}/{dbname}"


def check_url(url: str, setting: str = "OKR_DATABASE_URL") -> dict[str, Any]:
    """The URL's parts; StartupError unless it is a readable postgresql:// URL."""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in ("postgresql", "postgres"):
        raise StartupError(f"{setting} is not a postgresql:// URL (it starts with "
                           f"{(scheme or url[:12])!r}); fix {setting}")
    try:
        urlparse(url).port  # noqa: B018 - raises on a port that is not a number
        return conninfo_to_dict(url)
    except (ValueError, psycopg.Error) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StartupError(f"{setting} is not a valid URL ({reason}); fix {setting}") from None


def check_reachable(url: str, setting: str = "OKR_DATABASE_URL") -> None:
    """StartupError naming the host and the cause unless the database answers in time."""
    check_url(url, setting)
    try:
        with psycopg.connect(url, connect_timeout=CHECK_TIMEOUT) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        raise StartupError(f"cannot open the event store at {where(url)}: {cause_of(error)}; "
                           f"check {setting}") from None

"""Watching an `okr import` from another connection."""

from __future__ import annotations

import time

import psycopg


def wait_until_an_import_copies(database_url: str, timeout: float = 30) -> None:
    """Return once a backend runs the import's COPY, inside its open transaction.

    The COPY's own row counts are not waited for: depending on buffering on both sides,
    the server may not count a tuple before the client sends its last bytes.
    """
    with psycopg.connect(database_url, autocommit=True) as conn:
        deadline = time.monotonic() + timeout
        while conn.execute("SELECT EXISTS (SELECT FROM pg_stat_progress_copy "
                           "WHERE command = 'COPY FROM')").fetchone() != (True,):
            assert time.monotonic() < deadline, "the import never started copying"
            conn.execute("SELECT pg_sleep(0.02)")  # poll the database, not the clock

"""Shared fixtures: real PostgreSQL (given or embedded) and the application on it.

`OKR_TEST_DATABASE_URL` names a server to use (a fresh database is created per test);
without it an embedded PostgreSQL (`pgserver`) is started once per test session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.application import OkrApplication
from eventstore.database import EmbeddedPostgres, create_database, drop_database, eventsourcing_env
from eventstore.memory import MEMORY_ENV


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    given = os.environ.get("OKR_TEST_DATABASE_URL")
    if given:
        yield given
        return
    # Not under pytest's basetemp: concurrent pytest sessions prune each other's basetemps.
    folder = Path(tempfile.mkdtemp(prefix="okr-test-pg-"))
    embedded = EmbeddedPostgres(folder)
    url = embedded.start()
    yield url
    embedded.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    name = f"okr_test_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server_url, name)
    yield url
    drop_database(pg_server_url, name)


@pytest.fixture
def pg_env(database_url: str) -> dict[str, str]:
    return eventsourcing_env(database_url)


@pytest.fixture
def pg_app(pg_env: dict[str, str]) -> Iterator[OkrApplication]:
    app = OkrApplication(env=pg_env)
    yield app
    app.close()


@pytest.fixture
def memory_app() -> Iterator[OkrApplication]:
    app = OkrApplication(env=MEMORY_ENV)
    yield app
    app.close()


@pytest.fixture(params=["memory", "postgres"])
def any_app(request: pytest.FixtureRequest) -> OkrApplication:
    """The same scenario against the in-memory store and real PostgreSQL."""
    name = "memory_app" if request.param == "memory" else "pg_app"
    app: OkrApplication = request.getfixturevalue(name)
    return app

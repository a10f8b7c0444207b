"""A store (application + view pool) on the test's fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.application import OkrApplication
from eventstore import Store
from okr.bootstrap import start_store
from okr.settings import Settings
from tests.support.world import World, build_world


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = start_store(Settings(database_url=database_url))
    yield store
    store.close()


@pytest.fixture
def world(any_app: OkrApplication) -> World:
    """A small organisation (see `build_world`), in memory and on PostgreSQL."""
    return build_world(any_app)

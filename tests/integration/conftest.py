"""A runtime (application + view pool) on the test's fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.application import OkrApplication
from okr.bootstrap import Runtime, start_runtime
from okr.settings import Settings
from tests.unit.test_domain_world import World, build_world


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = start_runtime(Settings(database_url=database_url))
    yield rt
    rt.close()


@pytest.fixture
def world(any_app: OkrApplication) -> World:
    """A small organisation (see `build_world`), in memory and on PostgreSQL."""
    return build_world(any_app)

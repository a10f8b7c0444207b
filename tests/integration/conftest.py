"""A runtime (application + view pool) on the test's fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from okr.bootstrap import Runtime, start_runtime
from okr.settings import Settings


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = start_runtime(Settings(database_url=database_url))
    yield rt
    rt.close()

"""What a test does when a tool it drives is not installed."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    """Skip the test on a developer's machine; fail it under CI=true, where the tool must be."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the tool must be installed)")
    pytest.skip(reason)

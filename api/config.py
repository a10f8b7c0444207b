"""What the API takes from its caller's settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiConfig:
    """`bootstrap_token`: the admin token (`OKR_BOOTSTRAP_TOKEN`); None: no bootstrap admin."""

    bootstrap_token: str | None = None

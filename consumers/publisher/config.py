"""What the publisher is told: where to publish and how it paces itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RelayConfig:
    bootstrap_servers: str
    topic: str = "okr.events"
    partitions: int = 3
    replication_factor: int = -1  # the broker's default.replication.factor
    batch_size: int = 2000
    idle_wait: float = 1.0
    standby_interval: float = 2.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    flush_timeout: float = 30.0
    linger_ms: int = 5

    @property
    def tracking_name(self) -> str:
        return f"relay:{self.topic}"

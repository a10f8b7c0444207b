"""Prometheus metrics of one app instance (its own registry, so tests can build many apps)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    _relay_lag: Gauge | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "okr_http_requests_total", "HTTP requests by route and status",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "okr_http_request_duration_seconds", "HTTP request latency by route",
            ["method", "route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.projection_lag = Gauge(
            "okr_projection_lag_events", "Events recorded but not yet applied, per projection",
            ["projection"], registry=self.registry,
        )
        self.command_batch = Histogram(
            "okr_command_batch_size", "Commands recorded together in one transaction",
            registry=self.registry, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        )
        self.sse_clients = Gauge(
            "okr_sse_clients", "Connected Server-Sent Events clients", registry=self.registry,
        )

    def relay_lag(self) -> Gauge:
        """`okr_relay_lag_events`, registered on first use: a process without a relay exports
        none (a 0 would read as "caught up")."""
        if self._relay_lag is None:
            self._relay_lag = Gauge(
                "okr_relay_lag_events", "Events recorded but not yet published to Kafka",
                registry=self.registry,
            )
        return self._relay_lag

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

"""A steady write load on a running server: keyed check-ins from a few client threads,
every answer (or its absence) recorded."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Outcome:
    note: str  # unique per write: how its check-in is found in the store
    status: int | None  # None: no answer (timeout, connection error)
    seconds: float
    at: float  # time.monotonic() when the answer came
    retry_after: str | None = None
    position: int | None = None


@dataclass
class WriteLoad:
    """`clients` threads posting check-ins with an Idempotency-Key to `key_results`."""

    base: str
    token: str
    key_results: list[str]
    clients: int = 3
    timeout: float = 5.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    def start(self) -> WriteLoad:
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)

    def acknowledged(self, since: float = 0.0) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in (200, 201) and o.at >= since]

    def with_status(self, status: int | None, since: float = 0.0) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status and o.at >= since]

    def _client(self, n: int) -> None:
        kr = self.key_results[n % len(self.key_results)]
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=self.timeout) as http:
            while not self._stop.is_set():
                self.outcomes.append(self._write(http, kr, f"w{next(self._numbers)}"))

    def _write(self, http: httpx.Client, kr: str, note: str) -> Outcome:
        began = time.monotonic()
        try:
            answer = http.post(f"/v1/key-results/{kr}/check-ins",
                               json={"value": 1.0, "note": note},
                               headers={"Idempotency-Key": note})
        except httpx.HTTPError:
            return Outcome(note, None, time.monotonic() - began, time.monotonic())
        if answer.status_code == 503:
            # Said "retry later": an operator's client would, after Retry-After; we pause.
            self._stop.wait(0.05)
        position = answer.json().get("position") if answer.status_code < 300 else None
        return Outcome(note, answer.status_code, time.monotonic() - began, time.monotonic(),
                       answer.headers.get("Retry-After"), position)

"""The sealer: follows the log on a thread and seals every event (eventstore/seals.py).

It runs beside the projections in `okr serve` and `okr project`, and beside the relay in
`okr relay` (which publishes sealed positions only). Several sealers may run on one store:
the tracking row's lock lets one seal a batch at a time, the others then continue after it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from eventstore.feed import DATABASE_UNAVAILABLE
from eventstore.seals import BATCH_SIZE, ensure_seals_table, seal_batch
from eventstore.store import Store

log = logging.getLogger(__name__)


@dataclass
class Sealer:
    """Seals the log of `store` on a thread until stopped or failed."""

    store: Store
    poll_interval: float = 0.5
    coalesce: float = 0.02
    error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Sealer:
        with self.store.pool.connection() as conn:
            ensure_seals_table(conn)
        self._thread = threading.Thread(target=self._run, name="okr-sealer", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        feed, signal = self.store.feed(), self.store.new_event_signal(self.poll_interval)
        try:
            while not self._stop.is_set():
                try:
                    if seal_batch(self.store.pool, feed) < BATCH_SIZE:
                        signal.wait(self.poll_interval)
                        self._stop.wait(self.coalesce)  # one batch for many writes
                except DATABASE_UNAVAILABLE as error:
                    log.warning("sealer: database unavailable (%s); retrying", error)
                    self._stop.wait(self.poll_interval)
        except BaseException as error:
            self.error = error
            log.exception("the sealer stopped on an error; it resumes from its last sealed "
                          "position when restarted")
        finally:
            signal.close()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def start_sealer(store: Store, poll_interval: float = 0.5) -> Sealer:
    """Seal the log of `store` on a thread (`okr serve`, `okr project`, `okr relay`)."""
    return Sealer(store, poll_interval).start()

"""`okr upgrade`: adopt a store written before transaction time, once."""

from __future__ import annotations

import typer
from rich.console import Console

from eventstore.legacy import upgrade as upgrade_store
from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog


def upgrade() -> None:
    """Give events written before transaction time the recorded_at their state holds (once).

    No event's state changes; every later event is recorded after all of them.
    """
    console = Console(stderr=True)
    store = start_store(legacy=True)
    try:
        with store.pool.connection() as conn:
            report = upgrade_store(conn, store.app.recorder.names)  # type: ignore[attr-defined]
    finally:
        store.close()
    if not report.filled:
        console.print("nothing to upgrade: every event has its recorded_at")
        return
    console.print(
        f"upgraded: {report.filled} events took the recorded_at their state holds; "
        f"{report.out_of_order} of them are recorded earlier than the event before them "
        "(written by several processes before transaction time; kept as they are, see "
        "docs/projections.md)", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE))(upgrade)

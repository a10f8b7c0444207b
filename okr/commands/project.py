"""`okr project`: run the projections (and the sealer of the integrity chain) alone."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from eventstore.sealer import start_sealer
from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog
from okr.commands.lifecycle import AllOf, run_until_signalled
from projections.runner import start_projections

log = logging.getLogger(__name__)


def project(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Projection names (default: all).")
    ] = None,
) -> None:
    """Run the projections until SIGTERM or Ctrl-C; resumes from tracked positions."""
    store = start_store()
    try:
        running = start_projections(store, only or None)
        log.info("projections running: %s; sealing the log",
                 ", ".join(w.spec.name for w in running.workers))
        run_until_signalled(AllOf(running, start_sealer(store)),
                            "a projection or the sealer failed")
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE))(project)

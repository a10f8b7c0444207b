"""`okr import FILE`: an exported log into an empty store, then the projections (docs/export.md)."""

from __future__ import annotations

import gzip
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eventstore.importing import import_log
from eventstore.logcheck import ImportRefused
from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog
from projections.rebuild import rebuild


def import_(
    file: Annotated[str, typer.Argument(
        help="The file of okr export: a path (ending in .gz: compressed), or - for standard "
             "input.")],
) -> None:
    """Recreate an exported log in an empty store, all or nothing, then the projections."""
    console = Console(stderr=True)
    store = start_store()
    try:
        with _opened(file) as lines, Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("checking and importing", total=None)

            def on_progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                imported = import_log(store, lines, on_progress)
            except ImportRefused as error:
                bar.stop()
                typer.echo(str(error), err=True)
                raise typer.Exit(code=1) from None
            views = bar.add_task("projections", total=None)
            rebuild(store, on_progress=lambda name, done, total: bar.update(
                views, completed=done, total=total, description=f"projection {name}"))
            bar.update(views, completed=1, total=1, description="projections")
    finally:
        store.close()
    console.print(f"imported {imported.events} events, positions {imported.first_position} to "
                  f"{imported.last_position}, head {imported.head_hash}")


def _opened(file: str) -> AbstractContextManager[BinaryIO]:
    if file == "-":
        return nullcontext(sys.stdin.buffer)
    path = Path(file)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def register(app: typer.Typer) -> None:
    app.command("import", cls=Command, epilog=settings_epilog(*STORE))(import_)

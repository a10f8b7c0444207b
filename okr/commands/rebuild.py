"""`okr rebuild [NAME]`: rebuild read models from the event store, with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog
from projections.bulkload import RebuildFailed
from projections.rebuild import rebuild as rebuild_views
from projections.registry import PROJECTIONS, select

NAMES_HELP = f"Any of: {', '.join(PROJECTIONS)} (default: all)."


def rebuild(
    names: Annotated[list[str] | None, typer.Argument(help=NAMES_HELP)] = None,
    processes: Annotated[int | None, typer.Option(
        min=1, help="Worker processes loading the projections (default: one per core, at "
                    "most one per projection; 1: all in this process).")] = None,
) -> None:
    """Rebuild projections into fresh tables; readers switch over only when caught up."""
    console = Console(stderr=True)
    try:
        specs = select(names or None)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=2) from None
    store = start_store()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            tasks = {s.name: bar.add_task(s.name, total=store.feed().head() or 1)
                     for s in specs}

            def on_progress(name: str, done: int, total: int) -> None:
                bar.update(tasks[name], completed=done, total=total)

            try:
                positions = rebuild_views(store, [s.name for s in specs], on_progress,
                                          processes=processes)
            except RebuildFailed as error:
                console.print(f"[red]{error}[/red]\nthe read models were left as they were")
                raise typer.Exit(code=1) from None
            for name, position in positions.items():
                bar.update(tasks[name], completed=max(position, 1), total=max(position, 1))
        console.print(f"rebuilt {', '.join(positions)} up to position "
                      f"{max(positions.values(), default=0)}")
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE))(rebuild)

"""`okr verify [--expect POSITION:HASH]`: recompute the integrity chain from the stored events."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eventstore.seals import events_table_name
from eventstore.verify import Expected, verify
from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog

EXPECT_HELP = ("A chain hash kept from earlier (a report's OKR-Chain-Hash, GET /v1/integrity): "
               "the log must still give it at that position.")


def verify_command(
    expect: Annotated[str | None, typer.Option(
        "--expect", metavar="POSITION:HASH", help=EXPECT_HELP)] = None,
    processes: Annotated[int | None, typer.Option(
        min=1, help="Worker processes checking ranges of a long log (default: one per "
                    "core; 1: all in this process).")] = None,
) -> None:
    """Check every stored event against its seal; exit 1 naming the first bad position."""
    console = Console(stderr=True)
    try:
        expected = None if expect is None else Expected.parse(expect)
    except ValueError as error:
        console.print(f"[red]--expect: {error}[/red]")
        raise typer.Exit(code=2) from None
    store = start_store(pool_size=1)
    try:
        feed = store.feed()
        with Progress(TextColumn("verifying"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("verify", total=max(feed.head(), 1))
            verdict = verify(store.database_url, events_table_name(feed), expect=expected,
                             processes=processes,
                             progress=lambda position: bar.update(task, completed=position))
    finally:
        store.close()
    typer.echo(verdict.message())
    if verdict.ok and verdict.unsealed:
        console.print(f"{verdict.unsealed} later events are not sealed yet (the sealer runs "
                      "in okr serve, okr project and okr relay)")
    if not verdict.ok:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("verify", cls=Command, epilog=settings_epilog(*STORE))(verify_command)

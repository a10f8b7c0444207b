"""`okr export [--until-position N] FILE`: the log as NDJSON (docs/export.md)."""

from __future__ import annotations

import gzip
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, BinaryIO

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eventstore.export import ExportFailed, export_lines, log_table
from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog


def export(
    file: Annotated[str, typer.Argument(
        help="Where to write: a path (ending in .gz: compressed), or - for standard output.")],
    until_position: Annotated[int | None, typer.Option(
        min=0, help="Export the events up to this position (default: all).")] = None,
) -> None:
    """Write the whole event log (or its events up to a position) as an NDJSON file."""
    console = Console(stderr=True)
    store = start_store(pool_size=1)
    try:
        with _opened(file) as out, Progress(
                TextColumn("exporting"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console, transient=file == "-") as bar:
            task = bar.add_task("positions", total=until_position or store.feed().head() or 1)
            lines = export_lines(
                store.database_url, log_table(store.app), until_position=until_position,
                on_progress=lambda position: bar.update(task, completed=position))
            head = orjson.loads(next(lines))
            out.write(orjson.dumps(head) + b"\n")
            for chunk in lines:
                out.write(chunk)
            bar.update(task, completed=head["last_position"], total=head["last_position"])
    except ExportFailed as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        store.close()
    console.print(f"exported positions {head['first_position']} to {head['last_position']}, "
                  f"head {head['head_hash']}")


def _opened(file: str) -> AbstractContextManager[BinaryIO]:
    if file == "-":
        return nullcontext(sys.stdout.buffer)
    path = Path(file)
    if path.suffix == ".gz":
        return gzip.open(path, "wb", compresslevel=6)  # type: ignore[return-value]
    return path.open("wb")


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE))(export)

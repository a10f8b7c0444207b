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
        lines = export_lines(store.database_url, log_table(store.app),
                             until_position=until_position)
        with _opened(file) as out, Progress(
                TextColumn("exporting"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console, transient=file == "-") as bar:
            first = next(lines)
            head = orjson.loads(first)
            total = head["last_position"] - head["first_position"] + 1
            task = bar.add_task("events", total=total)
            out.write(first)
            written = 0
            for line in lines:
                out.write(line)
                written += 1
                if written % 2000 == 0:
                    bar.update(task, completed=written)
            bar.update(task, completed=written, total=written)
    except ExportFailed as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        store.close()
    console.print(f"exported {written} events, positions {head['first_position']} to "
                  f"{head['last_position']}, head {head['head_hash']}")


def _opened(file: str) -> AbstractContextManager[BinaryIO]:
    if file == "-":
        return nullcontext(sys.stdout.buffer)
    path = Path(file)
    if path.suffix == ".gz":
        return gzip.open(path, "wb", compresslevel=6)  # type: ignore[return-value]
    return path.open("wb")


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE))(export)

"""`okr export [--until-position N] FILE`: the log as NDJSON (docs/export.md)."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eventstore.export import ExportFailed, export_lines, export_span
from eventstore.txtime import StoreLoading
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
    store = start_store(pool_size=2)
    try:
        span = export_span(store, until_position)
        with _opened(file) as out, Progress(
                TextColumn("exporting"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console, transient=file == "-") as bar:
            task = bar.add_task("positions", total=span.last or 1)
            for chunk in export_lines(store, span, on_progress=lambda position: bar.update(
                    task, completed=position)):
                out.write(chunk)
    except (ExportFailed, StoreLoading) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        store.close()
    console.print(f"exported positions {span.first} to {span.last}, head "
                  f"{span.head_hash.hex()}")


@contextmanager
def _opened(file: str) -> Iterator[BinaryIO]:
    """Where the lines go: standard output, or a file written beside its name and renamed
    into place only when complete (a failed export leaves no file that looks whole)."""
    if file == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(file)
    partial = path.with_name(path.name + ".partial")
    try:
        with (gzip.open(partial, "wb", compresslevel=6) if path.suffix == ".gz"
              else partial.open("wb")) as out:
            yield out  # type: ignore[misc]  # GzipFile and BufferedWriter write bytes
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE))(export)

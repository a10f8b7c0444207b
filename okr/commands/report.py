"""`okr report NAME [params] --format csv|xlsx|json --output FILE`: a report file from the
database, the same bytes as `GET /v1/reports/NAME` with the same parameters."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import psycopg
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from api.report_formats import WRITERS, Format, ReportMeta
from domain.errors import DomainError
from eventstore import Store
from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog
from projections.report_rows import REPORTS, ReportParams
from projections.report_rows.opening import OpenedReport, open_report, position_if_ready

TIME_HELP = "RFC 3339 with an offset, e.g. 2026-11-15T12:00:00Z"


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{name} needs an offset ({TIME_HELP})")
    return moment


def report(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(REPORTS)}.")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", metavar="FILE", help="The file ('-': stdout).")],
    file_format: Annotated[Format, typer.Option(
        "--format", metavar="FORMAT", help="csv, xlsx or json.")] = "csv",
    cycle: Annotated[str | None, typer.Option(help="alignment, changes")] = None,
    as_of: Annotated[str | None, typer.Option(help=f"alignment: {TIME_HELP}")] = None,
    valid_at: Annotated[str | None, typer.Option(help="alignment")] = None,
    since: Annotated[str | None, typer.Option(help="changes, audit")] = None,
    until: Annotated[str | None, typer.Option(help="changes, audit")] = None,
    entity_id: Annotated[str | None, typer.Option(help="audit")] = None,
    actor: Annotated[str | None, typer.Option(help="audit")] = None,
    owner_type: Annotated[str | None, typer.Option(help="history: team or person")] = None,
    owner_id: Annotated[str | None, typer.Option(help="history")] = None,
    from_cycle: Annotated[str | None, typer.Option(help="history")] = None,
    to_cycle: Annotated[str | None, typer.Option(help="history")] = None,
    wait: Annotated[float, typer.Option(
        help="Seconds to wait for the read models and the sealer to reach the report's "
             "position (they run in okr serve or okr project).")] = 30.0,
) -> None:
    """Write a report file from the read models, with its position and chain hash."""
    console = Console(stderr=True)
    spec = REPORTS.get(name)
    if spec is None:
        console.print(f"[red]unknown report {name}; reports: {', '.join(REPORTS)}[/red]")
        raise typer.Exit(code=2)
    params = ReportParams(
        cycle=cycle, as_of=_instant(as_of, "--as-of"), valid_at=_instant(valid_at, "--valid-at"),
        since=_instant(since, "--since"), until=_instant(until, "--until"), entity_id=entity_id,
        actor=actor, owner_type=owner_type, owner_id=owner_id, from_cycle=from_cycle,
        to_cycle=to_cycle)
    store = start_store(pool_size=1)
    try:
        opened = _open(store, spec, params, wait)
        meta = ReportMeta(spec.name, params.given(), opened.position, opened.chain_hash,
                          spec.instant(params))
        _write(output, WRITERS[file_format](meta, spec.columns, _counted(opened, console)))
    except DomainError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(code=2) from None
    except TimeoutError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        store.close()
    console.print(f"{spec.name} report at position {opened.position}, chain hash "
                  f"{opened.chain_hash}" + ("" if str(output) == "-" else f" -> {output}"))


def _open(store: Store, spec: Any, params: ReportParams, wait: float) -> OpenedReport:
    spec.check(params)
    deadline = time.monotonic() + wait
    with psycopg.connect(store.database_url, autocommit=True) as conn:
        while True:
            position = position_if_ready(conn, spec.instant(params))
            if position is not None:
                opened = open_report(store.pool, spec, params, position)
                if opened is not None:
                    return opened
            if time.monotonic() >= deadline:
                raise TimeoutError("the read models or the sealer have not reached the "
                                   "report's position; is okr serve or okr project running?")
            time.sleep(0.1)  # polling the tracked positions


def _counted(opened: OpenedReport, console: Console) -> Any:
    with Progress(SpinnerColumn(), TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("rows", total=None)
        for count, row in enumerate(opened.rows, 1):
            yield row
            if count % 1000 == 0:
                bar.update(task, completed=count)


def _write(output: Path, chunks: Any) -> None:
    target: IO[bytes]
    if str(output) == "-":
        target = sys.stdout.buffer
        for chunk in chunks:
            target.write(chunk)
        target.flush()
        return
    partial = output.with_name(output.name + ".partial")
    with partial.open("wb") as target:
        for chunk in chunks:
            target.write(chunk)
    partial.replace(output)


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE))(report)

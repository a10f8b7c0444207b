"""`okr demo [--seed N] [--scale NAME]`: fill an empty store with a realistic organisation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from okr.bootstrap import start_store
from okr.commands.help import STORE, Command, settings_epilog
from okr.demo import SCALES, DemoSummary, generate
from okr.settings import Settings

SCALE_HELP = f"Size of the organisation and its history: {', '.join(SCALES)}."


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generator: same seed, same story.")] = 7,
    scale: Annotated[str, typer.Option(help=SCALE_HELP)] = "demo",
) -> None:
    """Fill an empty event store with an organisation and several quarters of OKR history."""
    console = Console(stderr=True)
    if scale not in SCALES:
        console.print(f"[red]unknown scale {scale!r}; choose one of {', '.join(SCALES)}[/red]")
        raise typer.Exit(code=2)
    settings = Settings()
    store = start_store(settings)
    try:
        head = store.feed().head()
        if head > 0:
            console.print(
                f"[red]The event store is not empty (it holds {head} events).[/red] "
                "okr demo only fills an empty store: point OKR_DATABASE_URL at an empty "
                "database, or use a fresh OKR_DATA_DIR for the embedded one."
            )
            raise typer.Exit(code=1)
        started = time.perf_counter()
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("recording history", total=1.0)

            def on_progress(done: float, cycle: str) -> None:
                bar.update(task, completed=done, description=f"recording {cycle}")

            summary = generate(store.app, seed=seed, scale=scale, progress=on_progress)
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    print_summary(Console(), summary, elapsed, settings)


def print_summary(
    console: Console, summary: DemoSummary, elapsed: float, settings: Settings
) -> None:
    table = Table(title=f"okr demo (seed {summary.seed}) written in {elapsed:.1f} s")
    table.add_column("what")
    table.add_column("count", justify="right")
    closed = ", ".join(summary.closed_cycles) or "none"
    rows = [
        ("teams", summary.teams), ("people", summary.people),
        (f"cycles (closed: {closed}; open: {summary.current_cycle})", len(summary.cycles)),
        ("objectives", summary.objectives), ("key results", summary.key_results),
        ("check-ins", summary.check_ins), ("events", summary.events),
        *((name.replace("_", " "), count) for name, count in summary.variety.items()),
    ]
    for name, count in rows:
        table.add_row(name, str(count))
    console.print(table)
    typer.echo(hints(summary, settings))  # plain: long curl lines must not be wrapped


def hints(summary: DemoSummary, settings: Settings) -> str:
    """Copy-paste commands to look at the story once `okr serve` runs."""
    base = f"http://{settings.host}:{settings.port}/v1"
    auth = '-H "Authorization: Bearer $OKR_BOOTSTRAP_TOKEN"'
    cycle = summary.current_cycle
    last = summary.last_recorded_at
    month_ago = _rfc3339(last - timedelta(days=30))
    site = f"http://{settings.host}:{settings.port}"
    lines = [
        f"Dashboard: open {site}/ and sign in with the bootstrap token (docs/ui.md):",
        f"  {site}/ui/tree?cycle={cycle}",
        "With `okr serve` running (started before or after this; its projections catch up",
        "from the log), try these; with the embedded default, in this directory first run",
        f"  export OKR_BOOTSTRAP_TOKEN=$(cat {settings.data_dir / 'bootstrap-token'})",
        f"  curl {auth} '{base}/alignment-tree?cycle={cycle}'",
        f"  curl {auth} '{base}/alignment-tree?cycle={cycle}&as_of={month_ago}'",
        f"  curl {auth} '{base}/changes?cycle={cycle}&since={month_ago}&until={_rfc3339(last)}'",
        f"  curl {auth} '{base}/history'",
        f"  curl {auth} '{base}/insights/engagement?cycle={cycle}'",
    ]
    if "corrected_key_result" in summary.examples:
        kr_id, effective, recorded = summary.examples["corrected_key_result"]
        before = _rfc3339(recorded - timedelta(hours=1))
        valid = _rfc3339(effective + timedelta(minutes=1))
        lines.append(f"  # a correction recorded {recorded:%Y-%m-%d}, effective "
                     f"{effective:%Y-%m-%d}: compare what we knew before and after it")
        lines.append(f"  curl {auth} '{base}/key-results/{kr_id}?as_of={before}&valid_at={valid}'")
        lines.append(f"  curl {auth} '{base}/key-results/{kr_id}?valid_at={valid}'")
    if "realigned_objective" in summary.examples:
        lines.append(f"  curl {auth} '{base}/audit?entity_id="
                     f"{summary.examples['realigned_objective']}'")
    return "\n".join(lines)


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def register(app: typer.Typer) -> None:
    app.command(cls=Command, epilog=settings_epilog(*STORE, "host", "port"))(demo)

"""The `okr` command line (contract section 5)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import typer
from pydantic import ValidationError

from eventstore.startup import StartupError
from okr.commands.help import ALL, Group, settings_epilog
from okr.settings import Settings, describe_invalid


class Okr(typer.Typer):
    """The `okr` command: a startup problem (a setting to fix) is one line on stderr and
    exit status 2, never a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except StartupError as error:
            _fail([str(error)])
        except ValidationError as error:
            if error.title != Settings.__name__:
                raise
            _fail(describe_invalid(error))


def _fail(lines: list[str]) -> None:
    for line in lines:
        print(f"okr: {line}", file=sys.stderr)
    sys.exit(2)


app = Okr(
    name="okr",
    help="okr-ledger: event-sourced OKR tracking. Settings come from OKR_* variables.",
    no_args_is_help=True,
    add_completion=False,
    cls=Group,
    epilog=settings_epilog(*ALL),
)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # pgserver narrates every start and kafka-python every connection at INFO: an operator
    # sees their warnings, and their chatter only with --verbose (kafka's DEBUG is per request).
    logging.getLogger("pgserver").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.INFO if verbose else logging.WARNING)


def _register_commands() -> None:
    from okr.commands import (
        consume,
        export,
        importing,
        project,
        rebuild,
        relay,
        report,
        serve,
        upgrade,
        verify,
    )

    for module in (project, rebuild, relay, consume, serve, report, verify, upgrade, export,
                   importing):
        module.register(app)

    from okr.commands import demo

    demo.register(app)


_register_commands()

if __name__ == "__main__":
    app()

"""What `okr --help` shows: flags without type labels, and the OKR_* settings of a command.

typer labels every option with its Python type (`--verbose <bool>`, `--group <str>`); a flag
takes no value, so it gets no label, and an option that takes one shows its metavar
(the option's name in capitals unless it names one). The settings a command reads are listed
in its epilog with their descriptions from `okr.settings.Settings`, never written twice.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from okr.settings import Settings

STORE = ("database_url", "data_dir")
KAFKA = ("kafka_bootstrap_servers", "kafka_topic")
ALL = tuple(Settings.model_fields)


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = "" if param.is_flag else param.name.upper()
        elif isinstance(param, TyperArgument):
            # An argument's type column ignores its metavar: its name and help say enough.
            param.display_type_rich = _unlabelled  # type: ignore[method-assign]
    return params


def _unlabelled(ctx: Any) -> None:
    return None


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


def settings_epilog(*names: str) -> str:
    """The epilog naming each setting a command reads, its description and default."""
    lines = ["Settings (environment):"]
    for name in names:
        field = Settings.model_fields[name]
        default = "" if field.default in (None, "") else f" (default {field.default})"
        lines.append(f"  OKR_{name.upper()}: {field.description}{default}")
    return "\n".join(lines)

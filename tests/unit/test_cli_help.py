"""`okr --help` and each command's help: plain flags, and the OKR_* settings each one reads."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from okr.cli import app, main
from okr.settings import Settings

TYPE_LABEL = re.compile(r"<\w+(\[\w+\])?>")  # <bool>, <str>, <list[str]>


def command_paths() -> list[list[str]]:
    """Every command of the CLI, as the arguments that reach it (`[]` is `okr` itself)."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(root, [])
    return paths


def help_of(path: list[str]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(["okr", *p]))
def test_help_labels_no_option_with_its_python_type(path: list[str]) -> None:
    text = help_of(path)
    assert "--help" in text
    assert TYPE_LABEL.findall(text) == [], text


STORE = {"database_url", "data_dir"}
KAFKA = {"kafka_bootstrap_servers", "kafka_topic"}
READS = {
    "serve": set(Settings.model_fields),
    "project": STORE,
    "rebuild": STORE,
    "relay": STORE | KAFKA | {"kafka_partitions"},
    "consume alerts": STORE | KAFKA,  # the ledger's database is the consumer's default
    "consume tree-mirror": STORE | KAFKA,
    "demo": STORE | {"host", "port"},
    "report": STORE,
    "verify": STORE,
    "upgrade": STORE,
}


@pytest.mark.parametrize("command", READS)
def test_each_command_lists_the_settings_it_reads_with_their_descriptions(
    command: str,
) -> None:
    settings = READS[command]
    text = " ".join(help_of(command.split()).split())  # the terminal wraps long lines anywhere
    listed = {name for name in Settings.model_fields if f"OKR_{name.upper()}" in text}
    assert listed == settings
    for name in settings:
        description = Settings.model_fields[name].description
        assert description and " ".join(description.split()) in text, name


def test_every_setting_has_a_description_for_the_help() -> None:
    assert [n for n, f in Settings.model_fields.items() if not f.description] == []


def test_verbose_shows_kafka_pythons_info_lines_and_the_default_hides_them() -> None:
    try:
        main(verbose=False)
        assert logging.getLogger("kafka").getEffectiveLevel() == logging.WARNING
        main(verbose=True)
        assert logging.getLogger("kafka").getEffectiveLevel() == logging.INFO
    finally:
        logging.getLogger("kafka").setLevel(logging.NOTSET)
        logging.getLogger("pgserver").setLevel(logging.NOTSET)

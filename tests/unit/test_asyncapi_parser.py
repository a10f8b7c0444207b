"""docs/asyncapi.yaml passes the official AsyncAPI parser (@asyncapi/parser, tests/tools/asyncapi).

A reader may get the document alone (a schema registry, a viewer that fetched it), so it has
to parse without its folder; it must also parse with its schemas beside it, as it is published.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.node_tools import run_json

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
Parse = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def parse_asyncapi() -> Parse:
    def parse(path: Path, *, refs_from_file: bool = False) -> dict[str, Any]:
        flags = ["--refs-from-file"] if refs_from_file else []
        code, report = run_json("asyncapi", "validate.mjs", *flags, str(path))
        assert code == (1 if report["errors"] or not report["parsed"] else 0), report
        return dict(report)

    return parse


def errors_of(report: dict[str, Any]) -> list[str]:
    return [f"{d['path']}: {d['message']}" for d in report["diagnostics"]
            if d["severity"] == "error"]


def test_the_parser_reports_the_errors_of_an_invalid_document(
    parse_asyncapi: Parse, tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("asyncapi: 3.0.0\nchannels: {}\n")
    report = parse_asyncapi(broken)
    assert report["errors"] > 0
    assert any("info" in message for message in errors_of(report))


def test_the_document_parses_with_its_schemas_beside_it(parse_asyncapi: Parse) -> None:
    report = parse_asyncapi(DOCUMENT, refs_from_file=True)
    assert report["parsed"]
    assert errors_of(report) == []


def test_the_document_parses_on_its_own(parse_asyncapi: Parse) -> None:
    report = parse_asyncapi(DOCUMENT)
    assert errors_of(report) == []
    assert report["parsed"]

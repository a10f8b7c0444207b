"""The package diagram of docs/architecture.md is the import rule, and the code keeps it.

Every import of every .py file (module level or inside a function) is read with `ast`; an
import of another package of the repository is an edge. The edges must be exactly those of
the diagram (the mermaid block marked `%% may import`): an import the diagram does not allow
fails, and so does an arrow no import uses any more.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIAGRAM = ROOT / "docs" / "architecture.md"
PRODUCT = ("domain", "eventstore", "projections", "consumers", "api")
PACKAGES = (*PRODUCT, "okr", "bench", "scripts")  # scripts/: maintenance, imports none yet
TESTS = "tests"  # may import anything; nothing imports it
DOMAIN_MAY_IMPORT = frozenset({"eventsourcing"})  # and the standard library
# Frameworks of an edge stay in the package of that edge (okr, bench and tests may use any).
FRAMEWORKS = {"fastapi": "api", "starlette": "api", "fastapi_offline": "api", "kafka": "consumers"}
EDGE = re.compile(r"^\s*(\w+)(?:\[[^\]]*\])?\s*-->\s*(\w+)")

Edge = tuple[str, str]


def modules_imported(path: Path) -> Iterator[str]:
    """Every absolute module name `path` imports, wherever the import stands."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@cache
def imports() -> dict[str, list[tuple[str, str]]]:
    """Package -> (file, top-level module) of every import of its files."""
    found: dict[str, list[tuple[str, str]]] = {}
    for package in (*PACKAGES, TESTS):
        found[package] = [
            (str(path.relative_to(ROOT)), module.split(".")[0])
            for path in python_files(package) for module in modules_imported(path)
        ]
    return found


def actual_edges() -> dict[Edge, str]:
    """(importer, imported) package -> one file that makes the import."""
    edges: dict[Edge, str] = {}
    for package in PACKAGES:
        for file, top in imports()[package]:
            if top in PACKAGES and top != package:
                edges.setdefault((package, top), file)
    return edges


def diagram_edges(text: str) -> set[Edge]:
    """The `A --> B` arrows of the mermaid block that holds the line `%% may import`."""
    blocks = re.findall(r"```mermaid\n(.*?)```", text, flags=re.DOTALL)
    marked = [block for block in blocks if "%% may import" in block]
    assert len(marked) == 1, "docs/architecture.md needs one mermaid block marked %% may import"
    return {(m[1], m[2]) for line in marked[0].splitlines() if (m := EDGE.match(line))}


def test_every_import_between_packages_is_an_arrow_of_the_diagram() -> None:
    allowed = diagram_edges(DIAGRAM.read_text())
    unknown = {node for edge in allowed for node in edge} - set(PACKAGES)
    assert not unknown, f"the diagram names packages that do not exist: {sorted(unknown)}"
    forbidden = {edge: file for edge, file in actual_edges().items() if edge not in allowed}
    assert not forbidden, "imports the diagram does not allow (importer -> imported: file): " \
        + ", ".join(f"{a} -> {b}: {file}" for (a, b), file in sorted(forbidden.items()))


def test_every_arrow_of_the_diagram_is_an_import_the_code_makes() -> None:
    unused = diagram_edges(DIAGRAM.read_text()) - set(actual_edges())
    assert not unused, f"arrows no import uses (remove them from the diagram): {sorted(unused)}"


def test_the_diagram_has_no_cycle_so_imports_run_one_way() -> None:
    edges = diagram_edges(DIAGRAM.read_text())
    reach = {package: {b for a, b in edges if a == package} for package in PACKAGES}
    for _ in PACKAGES:  # transitive closure, at most one round per package
        for package in PACKAGES:
            reach[package] |= {c for b in reach[package] for c in reach[b]}
    assert not [package for package in PACKAGES if package in reach[package]]


def test_nothing_in_the_product_imports_the_composition_root() -> None:
    offending = [file for package in PRODUCT for file, top in imports()[package] if top == "okr"]
    assert not offending, offending


def test_nothing_but_the_tests_imports_tests() -> None:
    offending = [file for package in PACKAGES for file, top in imports()[package]
                 if top == TESTS]
    assert not offending, offending


def test_tests_import_shared_helpers_from_tests_support_never_from_a_test_module() -> None:
    offending = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in python_files(TESTS) for module in modules_imported(path)
        if module.startswith(f"{TESTS}.") and not module.startswith(f"{TESTS}.support")
    ]
    assert not offending, offending


def test_domain_imports_only_the_standard_library_and_eventsourcing() -> None:
    outside = sorted({
        f"{file}: {top}" for file, top in imports()["domain"]
        if top not in sys.stdlib_module_names and top not in DOMAIN_MAY_IMPORT
        and top != "__future__" and top != "domain"
    })
    assert not outside, outside


def test_web_and_kafka_frameworks_stay_in_the_package_of_their_edge() -> None:
    offending = [
        f"{file}: {top}" for package in PRODUCT for file, top in imports()[package]
        if top in FRAMEWORKS and FRAMEWORKS[top] != package
    ]
    assert not offending, offending


def test_the_image_and_the_distribution_hold_every_package_of_the_product() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    for package in (*PRODUCT, "okr"):
        assert f"COPY {package} ./{package}\n" in dockerfile, package
        assert f'"{package}*"' in pyproject, package

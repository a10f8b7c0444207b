"""A wheel built from the repository carries the dashboard's templates and vendored files.

The build runs on a copy of the working tree (without .git, .venv or build output), so a
stale `build/` folder cannot hide a missing package-data declaration. It uses the setuptools
of the test environment (`--no-build-isolation --no-index`): offline, about a second.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = "api/ui/static/vendor"
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", "node_modules",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    work = tmp_path_factory.mktemp("wheel")
    source = shutil.copytree(ROOT, work / "source", ignore=NOT_SOURCE)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--wheel-dir", str(work / "out"), str(source)],
        capture_output=True, text=True, check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (work / "out").glob("okr_ledger-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_carries_the_base_template(wheel: zipfile.ZipFile) -> None:
    assert "<main" in wheel.read("api/ui/templates/base.html").decode()


def test_the_wheel_carries_every_vendored_file_as_checksummed(wheel: zipfile.ZipFile) -> None:
    sums = wheel.read(f"{VENDOR}/SHA256SUMS").decode().splitlines()
    names = set()
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(wheel.read(f"{VENDOR}/{name}")).hexdigest() == digest, name
        names.add(name)
    assert {"htmx.min.js", "chart.umd.min.js"} <= names
    assert {"htmx.org.LICENSE", "chart.js.LICENSE.md"} <= names


def test_the_wheel_leaves_out_the_test_only_axe_core(wheel: zipfile.ZipFile) -> None:
    assert not [name for name in wheel.namelist() if "axe" in name.lower()]


def test_the_wheel_carries_every_template_and_static_file_of_the_pages(
    wheel: zipfile.ZipFile,
) -> None:
    ui = ROOT / "api" / "ui"
    files = [p.relative_to(ROOT).as_posix() for folder in ("templates", "static")
             for p in (ui / folder).rglob("*") if p.is_file()]
    assert {"api/ui/templates/tree.html", "api/ui/static/charts.js"} <= set(files)
    assert set(files) <= set(wheel.namelist())

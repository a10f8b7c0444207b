"""The vendored front-end files are the ones their SHA256SUMS name, each with its licence."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "vendor_assets.py"
FOLDERS = [ROOT / "api" / "ui" / "static" / "vendor", ROOT / "tests" / "browser" / "vendor"]


def sums(folder: Path) -> dict[str, str]:
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def pins(folder: Path) -> list[dict[str, Any]]:
    packages: list[dict[str, Any]] = json.loads((folder / "manifest.json").read_text())["packages"]
    return packages


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.relative_to(ROOT).as_posix())
def test_every_vendored_file_matches_its_sha256(folder: Path) -> None:
    listed = sums(folder)
    assert listed
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.relative_to(ROOT).as_posix())
def test_every_pinned_package_ships_its_files_and_licence_under_checksum(folder: Path) -> None:
    listed = sums(folder)
    for pin in pins(folder):
        assert pin["version"] and pin["integrity"].startswith("sha512-"), pin["package"]
        assert pin["licence"]["spdx"] and pin["licence"]["files"], pin["package"]
        for name in [*pin["files"].values(), *pin["licence"]["files"].values()]:
            assert name in listed, f"{pin['package']}: {name} is not in SHA256SUMS"
        for name in pin["licence"]["files"].values():
            assert (folder / name).stat().st_size > 100, f"{name} looks empty"


def test_the_dashboard_vendors_htmx_2_0_and_chart_js_4() -> None:
    versions = {pin["package"]: pin["version"] for pin in pins(FOLDERS[0])}
    assert versions["htmx.org"].startswith("2.0.")
    assert versions["chart.js"].startswith("4.")


def run_check(manifest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", str(manifest)],
                          capture_output=True, text=True, check=False)


def test_check_mode_passes_on_the_repository() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_check_mode_names_a_changed_file_and_an_unlisted_one(tmp_path: Path) -> None:
    folder = shutil.copytree(FOLDERS[0], tmp_path / "vendor")
    with (folder / "htmx.min.js").open("a") as script:
        script.write("\nalert(1);\n")
    (folder / "extra.js").write_text("// not vendored by the script\n")
    done = run_check(folder / "manifest.json")
    assert done.returncode == 1
    assert "htmx.min.js: SHA-256 does not match SHA256SUMS" in done.stderr
    assert "extra.js: not in SHA256SUMS" in done.stderr

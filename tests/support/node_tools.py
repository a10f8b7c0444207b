"""Node.js tools the tests run (tests/tools/NAME: package.json, package-lock.json, scripts).

A tool's dependencies are installed by `npm ci` once per lockfile, into
`~/.cache/okr-ledger/node/NAME-<hash of package.json and lockfile>` (or under
$OKR_TEST_CACHE), never into the repository. Without node or npm the test is skipped,
except under CI=true, where it fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.support.missing import missing

TOOLS = Path(__file__).resolve().parents[1] / "tools"
CACHE = Path(os.environ.get("OKR_TEST_CACHE", Path.home() / ".cache" / "okr-ledger")) / "node"
PINS = ("package.json", "package-lock.json")
INSTALL_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120
DONE = ".installed"


def executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not on PATH (apt-get install nodejs npm)")
    return path


def installed(tool: str) -> Path:
    """The cache folder holding the tool's node_modules; installs them on first use."""
    source = TOOLS / tool
    digest = hashlib.sha256(b"".join((source / pin).read_bytes() for pin in PINS)).hexdigest()
    target = CACHE / f"{tool}-{digest[:16]}"
    if (target / DONE).exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    # Install beside the target and rename: a concurrent or killed run leaves no half install.
    staging = Path(tempfile.mkdtemp(prefix=f".{tool}-", dir=CACHE))
    try:
        for pin in PINS:
            shutil.copy2(source / pin, staging / pin)
        _npm_ci(staging)
        (staging / DONE).touch()
        staging.rename(target)
    except OSError:
        if not (target / DONE).exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _npm_ci(folder: Path) -> None:
    done = subprocess.run(
        [executable("npm"), "ci", "--prefix", str(folder), "--ignore-scripts",
         "--no-audit", "--no-fund", "--prefer-offline"],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"npm ci for {folder.name} failed:\n{done.stdout}{done.stderr}")


def run_json(tool: str, script: str, *args: str) -> tuple[int, Any]:
    """Run `node tests/tools/TOOL/SCRIPT ARGS` on the installed dependencies.

    Returns the exit code (0 or 1) and the JSON the script printed; any other exit code
    is the tool's own failure and raises.
    """
    node = executable("node")
    modules = installed(tool)
    done = subprocess.run(
        [node, str(TOOLS / tool / script), *args],
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False,
        env={**os.environ, "OKR_NODE_TOOLS_DIR": str(modules)},
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{tool}/{script} exited {done.returncode}:\n{done.stderr}")
    return done.returncode, json.loads(done.stdout)

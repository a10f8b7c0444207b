"""Refresh or check the vendored front-end files (stdlib only).

Each vendor folder holds a `manifest.json` that pins npm packages:

    {"packages": [{"package": "htmx.org", "version": "2.0.11", "integrity": "sha512-...",
                   "files": {"dist/htmx.min.js": "htmx.min.js"},
                   "licence": {"spdx": "0BSD", "files": {"LICENSE": "htmx.org.LICENSE"}}}]}

`files` and `licence.files` map a path inside the npm package to a file name in the folder.
Refreshing runs `npm pack` for each pin, copies those files out of the tarball, records the
tarball's integrity and rewrites the folder's `SHA256SUMS` (the format of `sha256sum -c`).
A pinned `integrity` that the registry no longer matches is an error; to move to another
version, change `version` and delete `integrity`.

    python scripts/vendor_assets.py            # refresh every known folder
    python scripts/vendor_assets.py --check    # verify files against SHA256SUMS; exit 1 if not
    python scripts/vendor_assets.py --check tests/browser/vendor/manifest.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = (
    ROOT / "api" / "ui" / "static" / "vendor" / "manifest.json",
    ROOT / "tests" / "browser" / "vendor" / "manifest.json",
)
SUMS = "SHA256SUMS"
OWN_FILES = {"manifest.json", SUMS}


class VendorError(Exception):
    """A pin that cannot be fetched or does not match what it promises."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(manifest: Path) -> list[dict[str, Any]]:
    packages: list[dict[str, Any]] = json.loads(manifest.read_text())["packages"]
    return packages


def vendored_names(pin: dict[str, Any]) -> list[str]:
    return [*pin["files"].values(), *pin["licence"]["files"].values()]


def read_sums(folder: Path) -> dict[str, str]:
    sums = {}
    for line in (folder / SUMS).read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


def write_sums(folder: Path, names: list[str]) -> None:
    lines = [f"{sha256(folder / name)}  {name}\n" for name in sorted(names)]
    (folder / SUMS).write_text("".join(lines))


def npm_pack(spec: str, into: Path) -> tuple[Path, str]:
    """Download one package tarball from the registry; return it and its integrity."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm is not on PATH")
    done = subprocess.run(  # noqa: S603 - fixed argv, the spec comes from our manifest
        [npm, "pack", "--json", "--pack-destination", str(into), spec],
        capture_output=True, text=True, cwd=into, check=False,
    )
    if done.returncode != 0:
        raise VendorError(f"npm pack {spec} failed:\n{done.stderr}")
    (packed,) = json.loads(done.stdout)
    return into / packed["filename"], packed["integrity"]


def copy_out(tarball: Path, mapping: dict[str, str], folder: Path) -> dict[str, Any]:
    """Copy the mapped members out of the tarball; return the package's package.json."""
    with tarfile.open(tarball) as archive:
        for inner, name in mapping.items():
            member = archive.extractfile(f"package/{inner}")
            if member is None:
                raise VendorError(f"{tarball.name} has no regular file {inner}")
            (folder / name).write_bytes(member.read())
        meta = archive.extractfile("package/package.json")
        assert meta is not None
        package_json: dict[str, Any] = json.load(meta)
    return package_json


def refresh_pin(pin: dict[str, Any], folder: Path, workdir: Path) -> None:
    spec = f"{pin['package']}@{pin['version']}"
    tarball, integrity = npm_pack(spec, workdir)
    if pin.get("integrity", integrity) != integrity:
        raise VendorError(f"{spec}: registry integrity {integrity} != pinned {pin['integrity']}")
    pin["integrity"] = integrity
    mapping = {**pin["files"], **pin["licence"]["files"]}
    package_json = copy_out(tarball, mapping, folder)
    if package_json.get("version") != pin["version"]:
        raise VendorError(f"{spec}: the tarball says version {package_json.get('version')}")
    if package_json.get("license") != pin["licence"]["spdx"]:
        raise VendorError(f"{spec}: licence is now {package_json.get('license')!r}")


def refresh(manifest: Path) -> None:
    folder = manifest.parent
    document = json.loads(manifest.read_text())
    with tempfile.TemporaryDirectory(prefix="vendor-") as workdir:
        for pin in document["packages"]:
            refresh_pin(pin, folder, Path(workdir))
    manifest.write_text(json.dumps(document, indent=2) + "\n")
    write_sums(folder, [name for pin in document["packages"] for name in vendored_names(pin)])


def problems(manifest: Path) -> list[str]:
    """Every way the folder differs from its manifest and SHA256SUMS (empty when it matches)."""
    folder = manifest.parent
    if not (folder / SUMS).is_file():
        return [f"{folder / SUMS} is missing"]
    sums = read_sums(folder)
    found = []
    for name, digest in sorted(sums.items()):
        path = folder / name
        if not path.is_file():
            found.append(f"{name}: listed in {SUMS} but missing")
        elif sha256(path) != digest:
            found.append(f"{name}: SHA-256 does not match {SUMS}")
    expected = {name for pin in load(manifest) for name in vendored_names(pin)}
    found += [f"{name}: in the manifest, not in {SUMS}" for name in sorted(expected - set(sums))]
    present = {p.name for p in folder.iterdir() if p.is_file()} - OWN_FILES
    found += [f"{name}: not in {SUMS}" for name in sorted(present - set(sums))]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify only; change nothing")
    parser.add_argument("manifests", nargs="*", type=Path, default=list(MANIFESTS))
    args = parser.parse_args(argv)
    failed = False
    for manifest in args.manifests:
        try:
            if not args.check:
                refresh(manifest)
            found = problems(manifest)
        except VendorError as error:
            found = [str(error)]
        for problem in found:
            print(f"{manifest.parent}: {problem}", file=sys.stderr)
        failed = failed or bool(found)
        if not found:
            print(f"{manifest.parent}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

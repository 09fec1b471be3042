"""The browser libraries the platform serves itself (``static/vendor/``) are the ones the lock
pins: package.json pins the exact version, package-lock.json records the tarball's integrity,
``SOURCE.json`` (written by tools/vendor_web.py from that tarball) records both and each file's
SHA-256, and the library's own header names the version. Offline: nothing is fetched here
(``python tools/vendor_web.py --check`` compares with the tarball from the registry)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from linkplus.web import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
VENDOR = STATIC_DIR / "vendor"
TEST_VENDOR = Path(__file__).resolve().parent / "vendor"  # for the browser tests only (axe-core)
PACKAGES = sorted(p.name for p in VENDOR.iterdir() if p.is_dir())
TEST_PACKAGES = sorted(p.name for p in TEST_VENDOR.iterdir() if p.is_dir())


def _lock() -> dict[str, dict[str, str]]:
    packages: dict[str, dict[str, str]] = json.loads((ROOT / "package-lock.json").read_text())[
        "packages"
    ]
    return packages


def test_every_vendored_package_is_pinned_exactly_and_locked() -> None:
    manifest = json.loads((ROOT / "package.json").read_text())
    pinned = {**manifest["dependencies"], **manifest["devDependencies"]}
    assert sorted(manifest["dependencies"]) == PACKAGES  # served to owners
    assert sorted(manifest["devDependencies"]) == TEST_PACKAGES  # the tests' own, never served
    lock = _lock()
    for name, version in pinned.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned exactly: {version}"
        entry = lock[f"node_modules/{name}"]
        assert entry["version"] == version
        assert entry["integrity"].startswith("sha512-")


@pytest.mark.parametrize(
    "folder", [VENDOR / p for p in PACKAGES] + [TEST_VENDOR / p for p in TEST_PACKAGES]
)
def test_the_committed_files_are_the_locked_tarballs(folder: Path) -> None:
    name = folder.name
    source = json.loads((folder / "SOURCE.json").read_text())
    entry = _lock()[f"node_modules/{name}"]
    assert source["package"] == name
    assert (source["version"], source["integrity"]) == (entry["version"], entry["integrity"])
    on_disk = {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "SOURCE.json"
    }
    assert on_disk == source["files"]  # nothing edited, added or left out
    assert "LICENSE" in on_disk


def test_leaflet_says_it_is_the_locked_version() -> None:
    version = _lock()["node_modules/leaflet"]["version"]
    header = (VENDOR / "leaflet" / "leaflet.js").read_text()[:300]
    assert f"Leaflet {version}," in header
    licence = (VENDOR / "leaflet" / "LICENSE").read_text()
    assert "BSD 2-Clause" in licence


def test_axe_says_it_is_the_locked_version_and_is_not_served() -> None:
    version = _lock()["node_modules/axe-core"]["version"]
    header = (TEST_VENDOR / "axe-core" / "axe.min.js").read_text()[:200]
    assert f"axe v{version}" in header
    assert "Mozilla Public License" in (TEST_VENDOR / "axe-core" / "LICENSE").read_text()
    assert not (VENDOR / "axe-core").exists()

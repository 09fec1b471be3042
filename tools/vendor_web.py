"""Copy the browser libraries pinned in package-lock.json into the tree.

The platform serves its map library itself (no CDN: it must work with no internet), so the
library's dist files are committed under ``src/linkplus/web/static/vendor/<package>/``. The
accessibility engine the browser tests inject (axe-core, a devDependency) is never served to
owners: it goes to ``tests/web/vendor/<package>/``. This
script fetches the exact tarball the lock names with npm's own client (``npm pack``), checks it
against the lock's integrity hash, and writes the files the pages use together with
``SOURCE.json`` (the package, its version, the lock's integrity and each file's SHA-256), which
``tests/web/test_vendor.py`` checks offline.

    python tools/vendor_web.py          # write the files
    python tools/vendor_web.py --check  # compare the committed files with the tarball
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "linkplus" / "web" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "web" / "vendor"

# Per package: the folder its files go to (served by the platform, or for the tests only).
DESTINATION = {"leaflet": VENDOR, "axe-core": TEST_VENDOR}

# Per package: the files taken from its tarball (paths inside it, without ``package/``).
WANTED = {
    "leaflet": (
        "LICENSE",
        "dist/leaflet.js",
        "dist/leaflet.css",
        "dist/images/layers.png",
        "dist/images/layers-2x.png",
        "dist/images/marker-icon.png",
        "dist/images/marker-icon-2x.png",
        "dist/images/marker-shadow.png",
    ),
    "axe-core": ("LICENSE", "LICENSE-3RD-PARTY.txt", "axe.min.js"),
}


def locked(name: str) -> tuple[str, str]:
    """The version and integrity package-lock.json records for ``name``."""
    lock = json.loads((ROOT / "package-lock.json").read_text())
    entry = lock["packages"][f"node_modules/{name}"]
    return entry["version"], entry["integrity"]


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def target_name(inside: str) -> str:
    """Where a tarball file goes under the package's vendor folder (``dist/`` dropped)."""
    return inside.removeprefix("dist/")


def files_from_tarball(name: str) -> dict[str, bytes]:
    version, integrity = locked(name)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(  # noqa: S603 - a fixed command, the package name from WANTED
            ["npm", "pack", f"{name}@{version}", "--pack-destination", folder],  # noqa: S607
            check=True,
            capture_output=True,
        )
        tarball = next(Path(folder).glob("*.tgz"))
        data = tarball.read_bytes()
        if integrity_of(data) != integrity:
            raise SystemExit(f"{tarball.name} does not match the lock's integrity {integrity}")
        found: dict[str, bytes] = {}
        with tarfile.open(tarball) as archive:
            for inside in WANTED[name]:
                member = archive.extractfile(f"package/{inside}")
                if member is None:
                    raise SystemExit(f"{name} {version} has no {inside}")
                found[target_name(inside)] = member.read()
    return found


def source_record(name: str, files: dict[str, bytes]) -> str:
    version, integrity = locked(name)
    record = {
        "package": name,
        "version": version,
        "integrity": integrity,
        "files": {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())},
    }
    return json.dumps(record, indent=2) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    differences = []
    for name in WANTED:
        files = files_from_tarball(name)
        folder = DESTINATION[name] / name
        for path, data in files.items():
            target = folder / path
            if check:
                if not target.exists() or target.read_bytes() != data:
                    differences.append(str(target.relative_to(ROOT)))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        record = source_record(name, files)
        source = folder / "SOURCE.json"
        if check:
            if not source.exists() or source.read_text() != record:
                differences.append(str(source.relative_to(ROOT)))
        else:
            source.write_text(record)
    if differences:
        print("differs from the locked tarball:", *differences, sep="\n  ")
        return 1
    print("checked against the locked tarballs" if check else "written from the locked tarballs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

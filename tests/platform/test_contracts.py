"""The import-linter contracts place every package in the stack, and they catch a back-import."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "domain_contracts", ROOT / "tools/domain_contracts.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_contracts_in_pyproject_are_current() -> None:
    assert _tool().contracts() in (ROOT / "pyproject.toml").read_text(), (
        "the stack changed: run `python tools/domain_contracts.py`"
    )


def test_every_package_has_one_place_in_the_stack() -> None:
    tool = _tool()
    placed = tool.placed()
    assert len(placed) == len(set(placed)), "a package stands in two layers"
    assert placed == tool.packages(), (
        "every top-level package of linkplus must be placed in STACK (tools/domain_contracts.py)"
    )
    assert "garage" in tool.domains()
    assert "web" not in tool.domains()


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "back_import"),
    [
        # a lower domain importing a higher one, directly
        ("garage/service/__init__.py", "import linkplus.connected_services.service"),
        # a domain importing the wiring at the top
        ("vehicles/service.py", "import linkplus.web"),
        # the platform layer importing a domain
        ("runtime.py", "import linkplus.notifications.mail"),
    ],
)
def test_the_contracts_break_on_a_back_import(
    tmp_path: Path, module: str, back_import: str
) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "linkplus" / module
    target.write_text(target.read_text() + f"\n{back_import}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "the stack: each package imports only the layers below it BROKEN" in result.stdout

"""The test suite keeps one layout as it grows: fixtures live in ``conftest.py`` files (pytest
finds them, nobody imports them), plain helpers in ``support.py`` modules, the real servers in
``tests/servers.py``; no test module imports from another test module or from a conftest."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
HELPER_NAMES = {"__init__.py", "conftest.py", "support.py", "servers.py"}


def _python_files() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_every_module_is_a_test_a_conftest_or_a_support_module() -> None:
    odd = [
        str(path.relative_to(TESTS.parent))
        for path in _python_files()
        if path.name not in HELPER_NAMES and not path.name.startswith("test_")
    ]
    assert not odd, (
        "fixtures go in conftest.py, plain helpers in support.py; rename:\n" + "\n".join(odd)
    )


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    wrong = [
        f"{path.relative_to(TESTS.parent)}:{line}: {module}"
        for path in _python_files()
        for line, module in _imported_modules(path)
        if module.startswith("tests.")
        and (module.rsplit(".", 1)[-1].startswith("test_") or module.endswith("conftest"))
    ]
    assert not wrong, (
        "share fixtures through a conftest.py above both packages and helpers through a "
        "support.py:\n" + "\n".join(wrong)
    )

"""The import-linter contracts cover every domain package that exists."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_generated_contracts_in_pyproject_are_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "domain_contracts", ROOT / "tools/domain_contracts.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.contracts() in (ROOT / "pyproject.toml").read_text(), (
        "a domain was added or removed: run `python tools/domain_contracts.py`"
    )
    assert "garage" in module.domains()
    assert "web" not in module.domains()

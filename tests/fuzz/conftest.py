"""One platform for the whole fuzz suite: its own SQLite file (a copy of the migrated template in
a directory of this process's own, so parallel workers never share one), the app with no worker
and no vehicle link, and the world of accounts it is fuzzed as."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI

from linkplus.app import create_app
from linkplus.bootstrap import build_runtime
from linkplus.runtime import Runtime
from tests.fuzz.support import CLOCK, FIGURES, SETTINGS, World, database_path, refresh, seed


@pytest.fixture(scope="session")
def fuzz_world(sqlite_template: Path) -> World:
    shutil.copyfile(sqlite_template, database_path())
    return seed(SETTINGS, CLOCK)


@pytest.fixture(scope="session")
def seeder(fuzz_world: World) -> tuple[Runtime, FastAPI]:
    """A second runtime and app on the same database, for setting the world back in place from
    the test's own event loop (the app under fuzz runs in schemathesis's)."""
    runtime = build_runtime(SETTINGS, clock=CLOCK)
    return runtime, create_app(runtime, run_worker=False, run_gateway=False)


@pytest.fixture
def world(fuzz_world: World, seeder: tuple[Runtime, FastAPI]) -> World:
    """Fresh sign-ins and the first owner's car back in place before each operation's run."""
    refresh(*seeder, fuzz_world)
    return fuzz_world


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES.requests:
        terminalreporter.write_line(
            f"fuzz: {len(FIGURES.operations)} operations, {FIGURES.requests} requests, "
            f"({FIGURES.stateful_steps} in stateful sequences), {FIGURES.server_errors} server "
            "errors"
        )

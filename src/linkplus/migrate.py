"""Applying and inspecting Alembic migrations programmatically."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def revisions(url: str) -> list[str]:
    """Revision ids from the first to the head."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def upgrade(url: str, *, on_step: Callable[[str], None] | None = None) -> None:
    """Bring the database at ``url`` to the newest revision, one revision at a time.

    Blocking. Alembic's environment runs its own event loop, so when this thread already has one
    (an async caller), the work moves to a helper thread and this call waits for it.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _upgrade(url, on_step)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_upgrade, url, on_step).result()


def _upgrade(url: str, on_step: Callable[[str], None] | None) -> None:
    cfg = alembic_config(url)
    for rev in revisions(url):
        command.upgrade(cfg, rev)
        if on_step is not None:
            on_step(rev)

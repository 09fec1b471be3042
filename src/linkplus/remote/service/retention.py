"""Command history follows its retention (``command_history_retention_days``, docs/privacy.md):
commands that ended before it are deleted with their state changes; open commands stay."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import PurgeBudget, Purged
from linkplus.remote import repository
from linkplus.runtime import Runtime

log = structlog.get_logger("linkplus.remote")


async def purge_history(session: AsyncSession, runtime: Runtime) -> Purged:
    """Idempotent: it deletes by age, counted from the command's end."""
    settings = runtime.settings
    cutoff = runtime.clock.now() - timedelta(days=settings.command_history_retention_days)
    purged = await repository.delete_commands_finished_before(
        session, cutoff, budget=PurgeBudget.of(settings)
    )
    log.info("command_history_purged", commands=purged.rows, more=purged.more)
    return purged

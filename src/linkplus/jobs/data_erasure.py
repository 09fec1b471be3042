"""Erasure (GDPR art. 17): job payloads name accounts, sessions and e-mail ids. Once the account's
own jobs have run, the finished ones that mention it are deleted (a job row is only a trace of
work done). docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, String, cast, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.jobs import Job, JobState

_WAITING = (JobState.queued, JobState.running)


def _mentions(needles: Sequence[str]) -> ColumnElement[bool]:
    text = func.lower(cast(Job.payload, String))
    return or_(*(text.contains(needle.lower()) for needle in needles))


async def waiting_jobs(session: AsyncSession, needles: Sequence[str]) -> list[str]:
    """Names of queued or running jobs whose payload mentions one of ``needles``."""
    stmt = select(Job.name).where(Job.state.in_(_WAITING), _mentions(needles))
    return list((await session.scalars(stmt)).all())


async def forget_finished(session: AsyncSession, needles: Sequence[str]) -> None:
    await session.execute(delete(Job).where(Job.state.not_in(_WAITING), _mentions(needles)))
    await session.flush()


async def forget_not_running(session: AsyncSession, needles: Sequence[str]) -> None:
    """Finished jobs, and queued ones, about records that are being erased: a queued job for a
    record that is gone would find nothing to do. A running job is left to finish."""
    if needles:
        await session.execute(delete(Job).where(Job.state != JobState.running, _mentions(needles)))
        await session.flush()

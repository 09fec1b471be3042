"""Durable jobs and the schedules that create them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linkplus.models.base import Base, BigIntPK


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    dead = "dead"  # gave up after the last retry; kept for an operator to look at
    cancelled = "cancelled"  # its work was done another way before it was due (``jobs.cancel``)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default=JobState.queued)
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    # A job queued twice with the same key is queued once (schedules, "at most one per thing").
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)


class Schedule(Base):
    """A recurring job. The worker enqueues it when due and moves ``next_run_at`` on, atomically."""

    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(100))
    every_seconds: Mapped[int | None]
    daily_at: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" UTC
    next_run_at: Mapped[datetime]

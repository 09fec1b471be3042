"""Durable background jobs: queued in the caller's transaction, run by a worker after commit."""

from linkplus.jobs.queue import (
    cancel,
    cancel_many,
    enqueue,
    enqueue_at,
    enqueue_many,
    enqueue_task,
    run_again,
)
from linkplus.jobs.registry import (
    JobContext,
    JobPayload,
    RetryLater,
    Schedule,
    ScheduledRun,
    Task,
    register,
    task,
)

__all__ = [
    "JobContext",
    "JobPayload",
    "RetryLater",
    "Schedule",
    "ScheduledRun",
    "Task",
    "cancel",
    "cancel_many",
    "enqueue",
    "enqueue_at",
    "enqueue_many",
    "enqueue_task",
    "register",
    "run_again",
    "task",
]

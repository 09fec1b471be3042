"""Durable background jobs: queued in the caller's transaction, run by a worker after commit."""

from linkplus.jobs.queue import cancel, enqueue, enqueue_many
from linkplus.jobs.registry import JobContext, RetryLater, job, schedule

__all__ = ["JobContext", "RetryLater", "cancel", "enqueue", "enqueue_many", "job", "schedule"]

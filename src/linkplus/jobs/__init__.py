"""Durable background jobs: queued in the caller's transaction, run by a worker after commit."""

from linkplus.jobs.queue import enqueue
from linkplus.jobs.registry import JobContext, RetryLater, job, schedule

__all__ = ["JobContext", "RetryLater", "enqueue", "job", "schedule"]

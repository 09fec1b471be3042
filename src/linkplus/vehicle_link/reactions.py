"""The vehicle link's jobs: sending a command, the post-trip check, the daily retention purge.

Each is idempotent: a command carries its id (the car ignores one it has seen), the post-trip
check records that it ran, and the purge deletes by age.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog

from linkplus.jobs import JobContext, RetryLater, job, schedule
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link import service
from linkplus.vehicle_link.jobnames import POST_TRIP_CHECK, PURGE, SEND_COMMAND

log = structlog.get_logger("linkplus.vehicle_link.jobs")

__all__ = ["POST_TRIP_CHECK", "PURGE", "SEND_COMMAND"]


@job(SEND_COMMAND, max_attempts=6)
async def send_command(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Publish a command to the car; one that expired while waiting is not sent at all."""
    expires_at = datetime.fromisoformat(payload["expires_at"])
    if ctx.now >= expires_at:
        log.info("command_expired_unsent", vin=payload["vin"], command_id=payload["command_id"])
        return
    publisher = ctx.runtime.vehicle_link
    if publisher is None:
        raise RetryLater("this process has no connection to the MQTT broker")
    message = service.command(
        command_id=uuid.UUID(payload["command_id"]),
        type=payload["type"],
        now=ctx.now,
        expires_at=expires_at,
    )
    try:
        await publisher.publish_command(payload["vin"], message)
    except PublishFailed as exc:
        raise RetryLater(
            f"the MQTT broker refused or is away: {exc}", delay=timedelta(seconds=5)
        ) from exc


@job(POST_TRIP_CHECK)
async def post_trip_check(ctx: JobContext, payload: dict[str, Any]) -> None:
    await service.post_trip_check(
        ctx.session,
        ctx.runtime,
        vin=payload["vin"],
        trip_ended_at=datetime.fromisoformat(payload["trip_ended_at"]),
    )


@job(PURGE)
async def purge(ctx: JobContext, payload: dict[str, Any]) -> None:
    await service.purge(ctx.session, ctx.runtime)


schedule("vehicle_link.daily_purge", PURGE, daily_at="03:20")

"""The remote-control jobs (send, expire, run climate schedules) and the reaction to the car's
answers, which runs inside the gateway's transaction that stores them (no job in between: the
answer moves the command as soon as it is stored).

The jobs are all idempotent: each acts only on a command in the state it expects (a second run
finds it moved on), and a schedule run only for the occurrence its schedule still names.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.events import react_in_transaction
from linkplus.jobs import JobContext, RetryLater, job
from linkplus.remote import scheduling, service
from linkplus.remote.jobnames import (
    COMMAND_RESULT,
    EXPIRE_COMMAND,
    RUN_CLIMATE_SCHEDULE,
    SEND_COMMAND,
)
from linkplus.runtime import Runtime
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link.events import CommandResultReceived

__all__ = ["COMMAND_RESULT", "EXPIRE_COMMAND", "RUN_CLIMATE_SCHEDULE", "SEND_COMMAND"]


@job(SEND_COMMAND, max_attempts=30)
async def send_command(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Retried every second while the broker is away; the expiry check inside ``send`` ends the
    retries once the command can no longer be delivered."""
    try:
        await service.send(ctx.session, ctx.runtime, command_id=uuid.UUID(payload["command_id"]))
    except service.NoBroker as exc:
        raise RetryLater("no connection to the MQTT broker", delay=timedelta(seconds=1)) from exc
    except PublishFailed as exc:
        raise RetryLater(f"the MQTT broker is away: {exc}", delay=timedelta(seconds=1)) from exc


@job(EXPIRE_COMMAND)
async def expire_command(ctx: JobContext, payload: dict[str, Any]) -> None:
    await service.expire(ctx.session, ctx.runtime, command_id=uuid.UUID(payload["command_id"]))


async def on_answer(session: AsyncSession, runtime: Runtime, event: CommandResultReceived) -> None:
    await service.apply_answer(
        session,
        runtime,
        vin=event.vin,
        command_id=event.command_id,
        status=event.status,
        reason=event.reason,
    )


@job(COMMAND_RESULT)
async def command_result(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Answers queued as jobs by an earlier release; new answers go through ``on_answer``."""
    await service.apply_answer(
        ctx.session,
        ctx.runtime,
        vin=payload["vin"],
        command_id=uuid.UUID(payload["command_id"]),
        status=payload["status"],
        reason=payload.get("reason"),
    )


@job(RUN_CLIMATE_SCHEDULE)
async def run_climate_schedule(ctx: JobContext, payload: dict[str, Any]) -> None:
    await scheduling.run_schedule(
        ctx.session,
        ctx.runtime,
        schedule_id=uuid.UUID(payload["schedule_id"]),
        run_at=datetime.fromisoformat(payload["run_at"]),
    )


react_in_transaction(CommandResultReceived, on_answer)

"""The digital-key tasks: sending revocations to the car, the car's answers (inside the
gateway's transaction that stores them, as for remote commands), and the revocation of every key
when the car changes hands (a job after the garage's change commits)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.events import Reaction, Subscription
from linkplus.garage.events import PrimaryAccountChanged, VehicleRemovedFromAccount
from linkplus.jobs import JobContext, RetryLater, task
from linkplus.keys import service
from linkplus.keys.schemas import SendRevocationJob
from linkplus.remote import service as remote
from linkplus.runtime import Runtime
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link.events import CommandResultsReceived

BROKER_RETRY = timedelta(seconds=5)


@task()
async def send_revocation(ctx: JobContext, job: SendRevocationJob) -> None:
    try:
        await service.send_revocation(ctx.session, ctx.runtime, revocation_id=job.revocation_id)
    except remote.NoBroker as exc:
        raise RetryLater("no connection to the MQTT broker", delay=BROKER_RETRY) from exc
    except (PublishFailed, TimeoutError) as exc:
        raise RetryLater(f"the MQTT broker is away: {exc}", delay=BROKER_RETRY) from exc


async def on_answers(
    session: AsyncSession, runtime: Runtime, event: CommandResultsReceived
) -> None:
    """A gateway batch's answers: those to revocations confirm them (``service.on_answers``)."""
    await service.on_answers(
        session,
        runtime,
        [
            remote.CarAnswer(
                vin=one.vin, command_id=one.command_id, status=one.status, reason=one.reason
            )
            for one in event.results
        ],
    )


@task("keys.primary_changed")
async def primary_changed(ctx: JobContext, event: PrimaryAccountChanged) -> None:
    await service.revoke_for_new_owner(
        ctx.session, ctx.runtime, vin=event.vin, previous_account_id=event.previous_account_id
    )


@task("keys.vehicle_removed")
async def vehicle_removed(ctx: JobContext, event: VehicleRemovedFromAccount) -> None:
    if not event.was_primary:
        return  # a secondary account's removal leaves the owner's keys as they are
    await service.revoke_for_new_owner(
        ctx.session, ctx.runtime, vin=event.vin, previous_account_id=event.account_id
    )


TASKS = [send_revocation]
SUBSCRIPTIONS = [
    Subscription(PrimaryAccountChanged, primary_changed),
    Subscription(VehicleRemovedFromAccount, vehicle_removed),
]
REACTIONS = [Reaction(CommandResultsReceived, on_answers)]

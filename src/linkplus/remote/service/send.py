"""Sending a command: signing and publishing it, from the accepting process or the send job.

``send_now`` publishes a command the request has just committed; ``send`` is what both it and
the send job (``remote.send_command``) run. The command's counter was reserved when it was
stored, so a publish whose commit was lost is repeated under the same counter (the car refuses
it as a replay; its answer to the first copy completes the command) and no other command ever
gets that counter. An expired command is never published.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import structlog
from pydantic import JsonValue
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.jobs import cancel as cancel_job
from linkplus.models.remote import RemoteCommand
from linkplus.protocol.vehicle import Command
from linkplus.remote import repository, signing
from linkplus.remote.lifecycle import State
from linkplus.remote.preconditions import CommandType, Refusal, wire_type
from linkplus.remote.service._common import _move, send_key
from linkplus.remote.service.answers import _finish
from linkplus.runtime import Runtime
from linkplus.seams.commands import PublishFailed

log = structlog.get_logger("linkplus.remote")

PUBLISH_TIMEOUT_SECONDS = 2.0
"""How long ``send_now`` waits for the broker before leaving the command to the send job."""


class NoBroker(Exception):
    """This process has no connection to the MQTT broker (the job retries later)."""


async def send_now(runtime: Runtime, *, command_id: uuid.UUID) -> RemoteCommand | None:
    """Publish a just-committed command from the accepting process, in a transaction of its own
    that also cancels the send job; the command as it is afterwards. When the broker is away or
    slow, or anything else goes wrong, None: the send job (due ``SEND_FALLBACK`` after
    acceptance) sends it instead."""
    try:
        async with runtime.db.transaction() as session:
            row = await _send_accepted(session, runtime, command_id=command_id)
            if row is None:  # not accepted, expired, or gone: ``send`` says which, as the job
                row = await send(
                    session,
                    runtime,
                    command_id=command_id,
                    publish_timeout=PUBLISH_TIMEOUT_SECONDS,
                )
            if row is not None and State(row.state) is State.sent:
                await cancel_job(session, send_key(command_id), now=runtime.clock.now())
            return row
    except (NoBroker, PublishFailed, TimeoutError) as exc:
        log.warning(
            "remote_command_send_deferred",
            command_id=str(command_id),
            error=str(exc) or type(exc).__name__,
        )
        return None
    except Exception:
        # The command is stored and its send job will deliver it: the owner gets the 202 that
        # says so, not an error that invites a second command.
        log.exception("remote_command_send_failed", command_id=str(command_id))
        return None


async def _send_accepted(
    session: AsyncSession, runtime: Runtime, *, command_id: uuid.UUID
) -> RemoteCommand | None:
    """``send`` for the command a request has just stored, in two statements: the command moves
    to ``sent`` (and is locked) by one UPDATE that finds it ``accepted`` and not expired, then
    it is published, then its state change is recorded. None, with nothing written, when the
    UPDATE finds no such command. A failed or slow publish raises: the transaction rolls back
    and the command is ``accepted`` again, for the send job."""
    now = runtime.clock.now()
    if runtime.vehicle_link is None:
        raise NoBroker()
    row = await repository.mark_sent(session, command_id, now=now)
    if row is None:
        return None
    await _publish(runtime, row, now=now, within=PUBLISH_TIMEOUT_SECONDS)
    await repository.add_change(session, vin=row.vin, command_id=row.id, state=row.state, at=now)
    return row


async def _publish(
    runtime: Runtime, row: RemoteCommand, *, now: datetime, within: float | None
) -> None:
    """Sign the command with its counter and publish it, waiting at most ``within`` seconds."""
    publisher = runtime.vehicle_link
    if publisher is None:
        raise NoBroker()
    assert row.counter is not None
    command = signing.sign_command(
        signing.command_key(runtime.settings, row.vin),
        Command(
            msg_id=row.id,
            sent_at=now,
            type=wire_type(CommandType(row.type)),
            expires_at=row.expires_at,
            params=row.params,
        ),
        vin=row.vin,
        counter=row.counter,
    )
    async with asyncio.timeout(within):
        await publisher.publish_command(row.vin, command)


async def send(
    session: AsyncSession,
    runtime: Runtime,
    *,
    command_id: uuid.UUID,
    publish_timeout: float | None = None,
) -> RemoteCommand | None:
    """Sign and publish an ``accepted`` command; the command afterwards (``sent`` when it went
    out), None when there is no such command. One in another state is left as it is; an expired
    one is never published: it is marked expired instead. Raises ``NoBroker`` without a
    publisher and lets the publisher's ``PublishFailed`` and a ``TimeoutError`` after
    ``publish_timeout`` seconds through (the job retries them, under the command's counter)."""
    now = runtime.clock.now()
    row = await repository.get_command(session, command_id, for_update=True)
    if row is None or row.state != State.accepted.value:
        return row
    if now >= row.expires_at:
        await _finish(session, runtime, row, State.expired, reason=Refusal.no_answer.value)
        return row
    publisher = runtime.vehicle_link
    if publisher is None:
        raise NoBroker()
    if row.counter is None:  # stored by a version that took the counter when publishing
        row.counter = await repository.next_counter(session, row.vin)
    await _publish(runtime, row, now=now, within=publish_timeout)
    row.sent_at = now
    await _move(session, row, State.sent, now=now)
    return row


async def send_system_command(
    session: AsyncSession,
    runtime: Runtime,
    *,
    vin: str,
    wire_name: str,
    params: dict[str, JsonValue],
    lifetime: timedelta,
    publish_timeout: float | None = PUBLISH_TIMEOUT_SECONDS,
    command_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Sign and publish a command no owner asked for (stolen-vehicle tracking on and off), with
    the car's next counter, as the owner's commands are signed: the car checks it the same way.
    Returns the command's id (the car answers with it): ``command_id`` when given, so a caller
    that follows the answers (digital-key revocations) stores the id before the car can answer
    it. Raises ``NoBroker`` (before anything is
    written), ``PublishFailed`` or ``TimeoutError``.

    The counter is committed before the publish, together with what the caller's session holds
    so far: so call this before the caller's own changes, which then commit or roll back after
    it. A publish whose commit was lost (a crash) has then never left a used counter for
    another command to take. A publish that failed leaves a gap in the counters, which the car
    does not mind."""
    publisher = runtime.vehicle_link
    if publisher is None:
        raise NoBroker()
    now = runtime.clock.now()
    command_id = command_id or uuid.uuid4()
    counter = await repository.next_counter(session, vin)
    await runtime.db.commit(session)
    command = signing.sign_command(
        signing.command_key(runtime.settings, vin),
        Command(
            msg_id=command_id,
            sent_at=now,
            type=wire_name,
            expires_at=now + lifetime,
            params=params,
        ),
        vin=vin,
        counter=counter,
    )
    async with asyncio.timeout(publish_timeout):
        await publisher.publish_command(vin, command)
    log.info("system_command_sent", vin=vin, type=wire_name, command_id=str(command_id))
    return command_id

"""The cars' answers of one gateway batch move their commands together (issue 16): in the order
they arrived, each command through every state the stream shows, a refusal failing its own
command only, and a second delivery the car refused as a replay changing nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
from sqlalchemy import select

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.models.remote import RemoteCommand, RemoteCommandChange
from linkplus.notifications import service as notifications
from linkplus.protocol.vehicle import Channel, CommandResult, CommandStatus, encode, topic
from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.gateway import Result
from tests.remote.support import RecordingPublisher, remote_car
from tests.vehicle_link.support import gateway as idle_gateway


def _result(
    at: datetime,
    vin: str,
    seq: int,
    command_id: str,
    status: CommandStatus,
    reason: str | None = None,
) -> tuple[str, bytes]:
    return topic(vin, Channel.command_results), encode(
        CommandResult(
            msg_id=uuid.uuid4(),
            seq=seq,
            sent_at=at,
            command_id=uuid.UUID(command_id),
            status=status,
            reason=reason,
        )
    )


async def test_one_batch_moves_each_command_in_order_and_tells_each_owner(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    now = runtime.clock.now()
    cars = [await remote_car(runtime, client) for _ in range(3)]
    for car in cars:
        async with runtime.db.transaction() as session:
            await credentials.provision(session, vin=car.vin, now=runtime.clock.now())
    ids = []
    for car in cars:
        response = await car.command({"type": "door-lock"})
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    done, refused, replayed = zip(cars, ids, strict=True)

    batch = [
        _result(now, done[0].vin, 1, done[1], CommandStatus.received),
        _result(now, refused[0].vin, 1, refused[1], CommandStatus.rejected, "bad_signature"),
        _result(now, replayed[0].vin, 1, replayed[1], CommandStatus.received),
        _result(now, done[0].vin, 2, done[1], CommandStatus.succeeded),
        _result(now, replayed[0].vin, 2, replayed[1], CommandStatus.rejected, "replayed"),
        _result(now, refused[0].vin, 2, done[1], CommandStatus.succeeded),  # another car's command
    ]
    tally = await idle_gateway(runtime).process(batch)
    assert tally[Result.processed] == len(batch)
    await worker.run_due()

    async with runtime.db.transaction() as session:
        rows = {
            str(row.id): row
            for row in (
                await session.scalars(
                    select(RemoteCommand).where(RemoteCommand.id.in_([uuid.UUID(i) for i in ids]))
                )
            ).all()
        }
        assert rows[done[1]].state == "completed"
        assert rows[refused[1]].state == "failed"
        assert rows[refused[1]].reason == "rejected_by_car"
        assert rows[replayed[1]].state == "acknowledged"  # the replay changed nothing
        for command_id, expected in [
            (done[1], ["accepted", "sent", "acknowledged", "completed"]),
            (refused[1], ["accepted", "sent", "failed"]),
            (replayed[1], ["accepted", "sent", "acknowledged"]),
        ]:
            states = (
                await session.scalars(
                    select(RemoteCommandChange.state)
                    .where(RemoteCommandChange.command_id == uuid.UUID(command_id))
                    .order_by(RemoteCommandChange.id)
                )
            ).all()
            assert list(states) == expected
        for car, command_id, ended, titles in [
            (done[0], done[1], "remote.command_completed", ["Lock done"]),
            (refused[0], refused[1], "remote.command_failed", ["Lock did not work"]),
            (replayed[0], replayed[1], None, []),
        ]:
            entries = await audit.entries_for(session, subject_type="vehicle", subject_id=car.vin)
            actions = {e.action for e in entries if e.details.get("command_id") == command_id}
            assert actions == {"remote.command_accepted"} | ({ended} if ended else set())
            inbox = await notifications.inbox(session, account_id=car.owner.account.id)
            told = [n.title for n in inbox if n.kind == "remote_command"]
            assert [t.split(": ", 1)[1] for t in told] == titles

"""The car's counters across a crash between a command's publish and the commit that marks it
sent: no other command is ever signed with a counter the car has used.

The platform reserves each command's counter in the commit that stores it (``accept``); before,
it took the counter in the publishing transaction, so a publish whose commit was lost left the
car with a counter the platform would hand to the next command, which the car then refused as a
replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.protocol.vehicle import Command
from linkplus.remote import signing
from linkplus.runtime import Runtime
from tests.remote.support import RecordingPublisher, remote_car


@dataclass
class LosesTheCommit(RecordingPublisher):
    """The broker takes the command (PUBACK), then the process dies before its commit: the
    publishing transaction rolls back, as a killed process's would."""

    lose_next: bool = True

    async def publish_command(self, vin: str, command: Command) -> None:
        await super().publish_command(vin, command)
        if self.lose_next:
            self.lose_next = False
            raise RuntimeError("process killed after the broker's PUBACK")


async def test_a_command_whose_sent_commit_was_lost_never_shares_its_counter(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    publisher = LosesTheCommit()
    runtime.vehicle_link = publisher
    assert isinstance(runtime.clock, ManualClock)
    car = await remote_car(runtime, client)
    key = signing.command_key(runtime.settings, car.vin)
    window = signing.ReplayWindow()  # the car's

    def at_the_car(command: Command) -> signing.VerifyOutcome:
        nonlocal window
        verdict = signing.verify(key, command, car.vin, now=runtime.clock.now(), window=window)
        if verdict is signing.VerifyOutcome.ok:
            counter = signing.counter_of(command)
            assert counter is not None
            window = window.accept(counter)
        return verdict

    lock = await car.command({"type": "door-lock"})
    assert lock.status_code == 202, lock.text
    assert lock.json()["state"] == "accepted"  # the commit that would have said "sent" was lost
    first = publisher.last()
    assert at_the_car(first) is signing.VerifyOutcome.ok  # the car carried it out

    hazard = await car.command({"type": "hazard-lights-on"})
    assert hazard.status_code == 202, hazard.text
    assert hazard.json()["state"] == "sent"
    second = publisher.last()
    assert signing.counter_of(second) != signing.counter_of(first)
    assert at_the_car(second) is signing.VerifyOutcome.ok  # not refused as a replay

    runtime.clock.advance(timedelta(seconds=3))  # the lock's send job is due
    await worker.run_due()
    again = publisher.last()
    assert again.msg_id == first.msg_id
    assert signing.counter_of(again) == signing.counter_of(first)
    assert at_the_car(again) is signing.VerifyOutcome.replayed  # carried out once only
    assert len(publisher.sent) == 3

"""Cars with remote services, their twin, a recording publisher, and the car's answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from linkplus.events import publish
from linkplus.jobs.worker import Worker
from linkplus.models.twin import TwinSignal, VehicleLinkState
from linkplus.protocol.vehicle import Command
from linkplus.runtime import Runtime
from linkplus.seams.commands import PublishFailed
from linkplus.vehicle_link.events import CommandResultReceived
from tests.connected_services.support import ACCEPT_DE, Owner, activate, link, make_vehicle, owner
from tests.support import bearer_for


@dataclass
class RecordingPublisher:
    """Stands in for the MQTT connection: keeps what would have been published."""

    sent: list[tuple[str, Command]] = field(default_factory=list)
    fail: bool = False

    async def publish_command(self, vin: str, command: Command) -> None:
        if self.fail:
            raise PublishFailed("broker away")
        self.sent.append((vin, command))

    async def close(self) -> None:
        return None

    def last(self) -> Command:
        return self.sent[-1][1]


@dataclass
class Car:
    owner: Owner
    vin: str
    client: httpx.AsyncClient
    runtime: Runtime

    async def headers(self, who: Owner | None = None) -> dict[str, str]:
        """A fresh sign-in (tests move the clock past access-token lifetimes)."""
        return await bearer_for(self.runtime, (who or self.owner).account)

    @property
    def base(self) -> str:
        return f"/api/v1/vehicles/{self.vin}"

    async def command(
        self, body: dict[str, Any], *, key: str | None = None, who: Owner | None = None
    ) -> httpx.Response:
        headers = await self.headers(who)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(f"{self.base}/commands", json=body, headers=headers)

    async def get(self, tail: str, *, who: Owner | None = None) -> httpx.Response:
        return await self.client.get(f"{self.base}/{tail}", headers=await self.headers(who))


async def remote_car(
    runtime: Runtime,
    client: httpx.AsyncClient,
    *,
    model_code: str = "NX450HP",
    market: str = "BE",
    active: bool = True,
) -> Car:
    person = await owner(runtime)
    vin = await make_vehicle(runtime, model_code=model_code, market=market)
    await link(runtime, person.account, vin, primary=True)
    if active:
        response = await activate(client, person, vin, accept=ACCEPT_DE)
        assert response.status_code == 200, response.text
    return Car(person, vin, client, runtime)


async def set_twin(runtime: Runtime, vin: str, values: dict[str, Any]) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        for path, value in values.items():
            row = await session.get(TwinSignal, (vin, path))
            if row is None:
                session.add(TwinSignal(vin=vin, path=path, value=value, ts=now, received_at=now))
            else:
                row.value, row.ts, row.received_at = value, now, now


async def put_to_sleep(runtime: Runtime, vin: str, since: datetime) -> None:
    async with runtime.db.transaction() as session:
        session.add(
            VehicleLinkState(
                vin=vin,
                last_heard_at=since,
                last_seq=0,
                asleep_since=since,
            )
        )


async def answer(
    runtime: Runtime,
    worker: Worker,
    vin: str,
    command_id: str | uuid.UUID,
    status: str,
    reason: str | None = None,
) -> None:
    """The car's answer as the gateway hands it on (the event, whose reaction moves the command
    in the same transaction), then the jobs it triggers (the owner's notifications)."""
    async with runtime.db.transaction() as session:
        await publish(
            session,
            CommandResultReceived(
                vin=vin, command_id=uuid.UUID(str(command_id)), status=status, reason=reason
            ),
            now=runtime.clock.now(),
            runtime=runtime,
        )
    await worker.run_due()


async def complete(runtime: Runtime, worker: Worker, vin: str, command_id: str) -> None:
    await answer(runtime, worker, vin, command_id, "received")
    await answer(runtime, worker, vin, command_id, "succeeded")

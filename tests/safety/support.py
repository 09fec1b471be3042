"""A car with an owner and a provisioned unit, messages as the car sends them (through the
gateway's own processing, so the reactions run in its transaction), and staff of each role."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from linkplus.jobs.worker import Worker
from linkplus.models.accounts import Account, StaffAccount, StaffRole
from linkplus.protocol.vehicle import Channel, topic
from linkplus.runtime import Runtime
from linkplus.safety import msd
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.gateway import Gateway, Result
from tests.connected_services.support import ACCEPT_DE, link, make_vehicle
from tests.support import bearer_for, make_owner, make_staff
from tests.vehicle_link.support import gateway

BRUSSELS = msd.Position(latitude=50.8466, longitude=4.3528)


def data_set(
    vin: str, at: datetime, *, automatic: bool = False, position: msd.Position = BRUSSELS
) -> str:
    """The eCall data set a car sends, in base64."""
    return msd.to_text(
        msd.encode(
            msd.MinimumSetOfData(
                message_id=1,
                activation=msd.Activation.automatic if automatic else msd.Activation.manual,
                test_call=False,
                position_trusted=True,
                vehicle_type=msd.VehicleType.passenger_m1,
                vin=vin,
                propulsion=frozenset({msd.Propulsion.petrol, msd.Propulsion.electric}),
                timestamp=at.replace(microsecond=0),
                position=position,
                direction_deg=90,
                previous=(),
                passengers=2,
            )
        )
    )


@dataclass
class SafetyCar:
    runtime: Runtime
    client: httpx.AsyncClient
    owner: Account
    vin: str
    gateway: Gateway
    seq: int = 0

    async def send(self, channel: Channel, body: dict[str, Any], *, at: datetime) -> Result:
        self.seq += 1
        payload = {
            "msg_id": str(body.pop("msg_id", uuid.uuid4())),
            "seq": self.seq,
            "sent_at": at.isoformat(),
            **body,
        }
        tally = await self.gateway.process(
            [(topic(self.vin, channel), json.dumps(payload).encode())]
        )
        (result,) = [r for r, n in tally.items() if n]
        return result

    async def event(self, type_: str, *, at: datetime, **fields: Any) -> Result:
        return await self.send(
            Channel.events, {"type": type_, "occurred_at": at.isoformat(), **fields}, at=at
        )

    async def emergency(
        self,
        incident: uuid.UUID,
        *,
        at: datetime,
        attempt: int = 1,
        call: str = "connected",
        sensor: str | None = None,
        msg_id: uuid.UUID | None = None,
        data: str | None = None,
    ) -> Result:
        fields: dict[str, Any] = {
            "incident_id": str(incident),
            "attempt": attempt,
            "call": call,
            "msd": data if data is not None else data_set(self.vin, at, automatic=bool(sensor)),
        }
        if sensor is not None:
            fields["sensor"] = sensor
        if msg_id is not None:
            fields["msg_id"] = msg_id
        return await self.event("collision" if sensor else "emergency_button", at=at, **fields)

    async def position(self, latitude: float, longitude: float, *, at: datetime) -> Result:
        signals = [
            {"path": "Vehicle.CurrentLocation.Latitude", "value": latitude, "ts": at.isoformat()},
            {"path": "Vehicle.CurrentLocation.Longitude", "value": longitude, "ts": at.isoformat()},
        ]
        return await self.send(Channel.telemetry, {"signals": signals}, at=at)

    async def owner_headers(self) -> dict[str, str]:
        return await bearer_for(self.runtime, self.owner)


async def safety_car(runtime: Runtime, client: httpx.AsyncClient) -> SafetyCar:
    """A plug-in hybrid whose owner activated the services (stolen-vehicle tracking runs in its
    complimentary period), with its unit provisioned."""
    owner = await make_owner(runtime, email=f"owner-{uuid.uuid4().hex[:6]}@example.com")
    vin = await make_vehicle(runtime, model_code="NX450HP", market="DE")
    await link(runtime, owner, vin, primary=True)
    activated = await client.post(
        f"/api/v1/vehicles/{vin}/services/activate",
        json={"accept": ACCEPT_DE, "packages": ["standard", "svt"]},
        headers=await bearer_for(runtime, owner),
    )
    assert activated.status_code == 200, activated.text
    async with runtime.db.transaction() as session:
        await credentials.provision(session, vin=vin, now=runtime.clock.now())
    return SafetyCar(runtime, client, owner, vin, gateway(runtime))


async def staff(runtime: Runtime, role: StaffRole) -> tuple[StaffAccount, dict[str, str]]:
    person = await make_staff(runtime, role=role)
    return person, await bearer_for(runtime, person)


async def run_jobs(runtime: Runtime) -> None:
    await Worker(runtime, name="safety-tests").run_due()

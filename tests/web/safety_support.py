"""Helpers of the safety pages' tests: an eCall data set (MSD) as a car sends it, an emergency
reaching the platform (through the safety service's reaction, as the gateway calls it, or as a
real protocol event over MQTT), an owner's car with its services active, positions held for a
theft case, and staff signed in to the console."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from linkplus.models.accounts import Account, StaffAccount, StaffRole
from linkplus.models.safety import SafetyCase
from linkplus.protocol.vehicle import Channel, Command, topic
from linkplus.runtime import Runtime
from linkplus.safety import msd
from linkplus.safety import service as safety
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress, vehicle_client
from linkplus.vehicle_link.events import EmergencyReported, HeldPosition
from tests.connected_services.support import ACCEPT_DE, link, make_vehicle
from tests.support import DEFAULT_PASSWORD, bearer_for, make_owner, make_staff
from tests.web.support import post_form

OWNER_PHONE = "+49 30 1234567"
MUNICH = (48.137154, 11.576124)


def msd_text(
    vin: str,
    *,
    at: datetime,
    latitude: float = MUNICH[0],
    longitude: float = MUNICH[1],
    manual: bool = True,
    passengers: int | None = 2,
) -> str:
    """The car's minimum set of data for an emergency at ``at``, base64 as in the event."""
    data = msd.MinimumSetOfData(
        message_id=1,
        activation=msd.Activation.manual if manual else msd.Activation.automatic,
        test_call=False,
        position_trusted=True,
        vehicle_type=msd.VehicleType.passenger_m1,
        vin=vin,
        propulsion=frozenset({msd.Propulsion.petrol, msd.Propulsion.electric}),
        timestamp=at.replace(microsecond=0),
        position=msd.Position(latitude, longitude),
        direction_deg=90,
        previous=(
            msd.Position(latitude, longitude - 0.0005),
            msd.Position(latitude, longitude - 0.001),
        ),
        passengers=passengers,
    )
    return msd.to_text(msd.encode(data))


class KeptCommands:
    """A command publisher that keeps the signed commands it is given, for the HTTP tests that
    run without a broker (the browser tests publish through the real one)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Command]] = []

    async def publish_command(self, vin: str, command: Command) -> None:
        self.sent.append((vin, command))

    async def close(self) -> None:
        return None


@dataclass
class OwnedCar:
    account: Account
    vin: str


async def owned_car(runtime: Runtime, client: httpx.AsyncClient, **owner: str) -> OwnedCar:
    """A primary owner (with a phone number) of a delivered car whose services are active (the
    stolen-vehicle tracking service among them, complimentary for 3 years)."""
    account = await make_owner(runtime, **owner)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == account.id).values(phone=OWNER_PHONE)
        )
    vin = await make_vehicle(runtime)
    await link(runtime, account, vin, primary=True, since=runtime.clock.now() - timedelta(days=30))
    activated = await client.post(
        f"/api/v1/vehicles/{vin}/services/activate",
        json={"packages": ["standard", "svt"], "accept": ACCEPT_DE},
        headers=await bearer_for(runtime, account),
    )
    assert activated.status_code == 200, activated.text
    return OwnedCar(account, vin)


async def sos_through_the_service(
    runtime: Runtime, vin: str, *, attempt: int = 1, incident: uuid.UUID | None = None
) -> uuid.UUID:
    """One attempt of an SOS call, as the gateway hands it to the safety service; the case id."""
    now = runtime.clock.now()
    incident = incident or uuid.uuid4()
    event = EmergencyReported(
        vin=vin,
        msg_id=uuid.uuid4(),
        type="emergency_button",
        occurred_at=now,
        incident_id=incident,
        attempt=attempt,
        call="connected",
        msd=msd_text(vin, at=now),
    )
    async with runtime.db.transaction() as session:
        await safety.on_emergency(session, runtime, event)
    return await case_of_incident(runtime, incident)


async def case_of_incident(runtime: Runtime, incident: uuid.UUID) -> uuid.UUID:
    async with runtime.db.transaction() as session:
        found = await session.scalar(
            select(SafetyCase.id).where(SafetyCase.incident_id == incident)
        )
    assert found is not None, "no case for the incident"
    return found


async def hold_positions(
    runtime: Runtime, case_id: uuid.UUID, vin: str, points: list[tuple[float, float]]
) -> None:
    """Positions the car sent while the theft case held its location, one every 30 s."""
    start = runtime.clock.now()
    async with runtime.db.transaction() as session:
        for index, (latitude, longitude) in enumerate(points):
            await safety.on_held_position(
                session,
                runtime,
                HeldPosition(
                    vin=vin,
                    purpose="theft",
                    reference=str(case_id),
                    ts=start + timedelta(seconds=30 * index),
                    latitude=latitude,
                    longitude=longitude,
                    heading=None,
                ),
            )


async def console_staff(
    runtime: Runtime, browser: httpx.AsyncClient, role: StaffRole
) -> StaffAccount:
    staff = await make_staff(runtime, role=role)
    answer = await post_form(
        browser,
        "/console/signin",
        "/console/signin",
        {"email": staff.email, "password": DEFAULT_PASSWORD},
    )
    assert answer.headers["location"] == "/console"
    return staff


# --- over the real protocol --------------------------------------------------------------------


async def provision(runtime: Runtime, vin: str) -> str:
    async with runtime.db.transaction() as session:
        return await credentials.provision(session, vin=vin, now=runtime.clock.now())


async def press_sos_over_mqtt(
    address: BrokerAddress, vin: str, secret: str, *, attempt: int = 1, seq: int = 1
) -> uuid.UUID:
    """The car's SOS press as its unit sends it: an ``emergency_button`` event with a valid MSD,
    QoS 1 on its events topic. Returns the incident id."""
    now = datetime.now(UTC).replace(microsecond=0)
    incident = uuid.uuid4()
    body = {
        "msg_id": str(uuid.uuid4()),
        "seq": seq,
        "sent_at": now.isoformat(),
        "type": "emergency_button",
        "occurred_at": now.isoformat(),
        "incident_id": str(incident),
        "attempt": attempt,
        "call": "connected",
        "msd": msd_text(vin, at=now),
    }
    async with vehicle_client(address, vin=vin, secret=secret) as client:
        await client.publish(topic(vin, Channel.events), json.dumps(body).encode(), qos=1)
    return incident


async def send_positions_over_mqtt(
    address: BrokerAddress,
    vin: str,
    secret: str,
    points: list[tuple[float, float]],
    *,
    seq: int,
) -> None:
    """Telemetry with the car's position, as the unit sends it while tracking runs (measured
    from now on, a second apart, so the case's location hold covers them)."""
    start = datetime.now(UTC)
    async with vehicle_client(address, vin=vin, secret=secret) as client:
        for index, (latitude, longitude) in enumerate(points):
            ts = (start + timedelta(seconds=index)).isoformat()
            body = {
                "msg_id": str(uuid.uuid4()),
                "seq": seq + index,
                "sent_at": ts,
                "signals": [
                    {"path": "Vehicle.CurrentLocation.Latitude", "value": latitude, "ts": ts},
                    {"path": "Vehicle.CurrentLocation.Longitude", "value": longitude, "ts": ts},
                ],
            }
            await client.publish(topic(vin, Channel.telemetry), json.dumps(body).encode(), qos=1)

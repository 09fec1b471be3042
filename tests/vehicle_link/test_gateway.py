"""Messages from test telematics units through a real broker (embedded amqtt and Mosquitto) into
the gateway, the twin and the status API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from linkplus.kit.clock import ManualClock
from linkplus.models.telematics import TelematicsCredential
from linkplus.models.twin import PositionFix, SignalSample, TwinSignal
from linkplus.protocol.vehicle import Channel
from linkplus.vehicle_link import repository
from linkplus.vehicle_link.gateway import Result
from linkplus.vehicles import service as vehicles
from tests.vehicle_link.support import VehicleLink

LAT = "Vehicle.CurrentLocation.Latitude"
LON = "Vehicle.CurrentLocation.Longitude"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
ODO = "Vehicle.TraveledDistance"
DRIVER_LOCKED = "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"

PARKED = {
    "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen": False,
    "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen": False,
    "Vehicle.Cabin.Door.Row2.DriverSide.IsOpen": False,
    "Vehicle.Cabin.Door.Row2.PassengerSide.IsOpen": False,
    DRIVER_LOCKED: True,
    "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked": True,
    "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked": True,
    "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked": True,
    "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": 0,
    "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position": 30,
    "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position": 0,
    "Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position": 0,
    "Vehicle.Powertrain.FuelSystem.RelativeLevel": 55.5,
    "Vehicle.Powertrain.FuelSystem.Range": 412_000,
    SOC: 81.5,
    "Vehicle.Powertrain.TractionBattery.Range": 58_000,
    "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": False,
    ODO: 13_210.4,
    "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure": 250,
    "Vehicle.LowVoltageBattery.CurrentVoltage": 12.6,
    LAT: 48.1371,
    LON: 11.5754,
}


async def test_engine_off_telemetry_shows_in_status_location_and_registry(
    vlink: VehicleLink, clock: ManualClock
) -> None:
    car = vlink.cars["phev"]
    start = clock.advance(minutes=45)  # the registry's reading is from when the car was made
    async with vlink.unit("phev") as unit:
        await unit.event("ignition_on", at=start - timedelta(minutes=30))
        await unit.event("ignition_off", at=start - timedelta(seconds=5))
        await unit.telemetry(PARKED, ts=start - timedelta(seconds=4))
    await vlink.settle()
    assert vlink.gateway.metrics.count(Result.processed) == 3

    response = await vlink.get("phev", "status")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["connection"]["state"] == "online"
    assert body["doors"]["all_locked"] is True
    assert body["doors"]["all_closed"] is True
    assert body["windows"]["all_closed"] is False
    assert body["windows"]["windows"][1] == {"position": "front_right", "open_percent": 30}
    assert body["fuel"]["level_percent"] == 55.5
    assert body["fuel"]["range_km"] == 412.0
    assert body["battery"] == {
        "charge_percent": 81.5,
        "electric_range_km": 58.0,
        "reported_at": (start - timedelta(seconds=4)).isoformat().replace("+00:00", "Z"),
    }
    assert body["odometer"]["km"] == 13_210.4
    assert body["low_voltage_battery"]["voltage"] == 12.6
    assert body["tyres"]["tyres"][0] == {"position": "front_left", "pressure_kpa": 250}

    where = await vlink.get("phev", "location")
    assert where.status_code == 200, where.text
    assert (where.json()["latitude"], where.json()["longitude"]) == (48.1371, 11.5754)

    async with vlink.runtime.db.transaction() as session:
        registered = await vehicles.get_vehicle(session, car.vin)
    assert registered is not None
    assert registered.odometer_km == 13_210  # the ownership check compares against this


async def test_late_data_fills_history_without_overwriting_newer_values(
    vlink: VehicleLink, clock: ManualClock
) -> None:
    vin = vlink.vin("bev")
    now = clock.now()
    async with vlink.unit("bev") as unit:
        await unit.telemetry({SOC: 40.0, LAT: 48.2, LON: 11.6}, ts=now, seq=10)
        # Back from an underground car park: what the unit kept, oldest first, lower seq.
        for minutes, seq in ((30, 3), (20, 4), (10, 5)):
            at = now - timedelta(minutes=minutes)
            await unit.telemetry(
                {SOC: 90.0 - minutes, LAT: 48.0, LON: 11.0 + seq / 10}, ts=at, seq=seq
            )
    await vlink.settle()

    async with vlink.runtime.db.transaction() as session:
        twin = {row.path: row for row in await repository.twin_signals(session, vin)}
        history = await repository.history(session, vin=vin, path=SOC)
        positions = await repository.positions(session, vin=vin)
    assert twin[SOC].value == 40.0
    assert twin[SOC].ts == now
    assert twin[LAT].value == 48.2
    assert [h.value for h in history] == [60.0, 70.0, 80.0, 40.0]
    assert [p.ts for p in positions] == sorted(p.ts for p in positions)
    assert [p.longitude for p in positions] == [11.3, 11.4, 11.5, 11.6]


async def test_a_redelivered_message_is_stored_once(vlink: VehicleLink, clock: ManualClock) -> None:
    vin = vlink.vin("phev")
    async with vlink.unit("phev") as unit:
        payload = unit.message(
            {"signals": [{"path": SOC, "value": 50.0, "ts": clock.now().isoformat()}]},
            at=clock.now(),
        )
        await unit.publish(Channel.telemetry, payload)
        await unit.publish(Channel.telemetry, payload)
    await vlink.settle()
    assert vlink.gateway.metrics.count(Result.processed) == 1
    assert vlink.gateway.metrics.count(Result.duplicate) == 1
    async with vlink.runtime.db.transaction() as session:
        rows = await session.scalar(
            select(func.count()).select_from(SignalSample).where(SignalSample.vin == vin)
        )
    assert rows == 1


async def test_malformed_and_foreign_messages_are_counted_and_dropped(
    vlink: VehicleLink, clock: ManualClock
) -> None:
    stranger = vlink.cars["stranger"]
    now = clock.now()
    async with vlink.unit("phev") as unit, vlink.unit("stranger") as foreign:
        await unit.publish(Channel.telemetry, b"{not json")
        await unit.publish(Channel.telemetry, b'{"msg_id": 1}')
        await unit.publish(
            Channel.telemetry,
            unit.message(
                {"signals": [{"path": "Vehicle.Nope", "value": 1, "ts": now.isoformat()}]}, at=now
            ),
        )
        await unit.publish(
            Channel.events,
            unit.message({"type": "teleport", "occurred_at": now.isoformat()}, at=now),
        )
        # The stranger's unit loses its credential while connected: its VIN is no longer a
        # provisioned unit, so what it still sends is not accepted.
        async with vlink.runtime.db.transaction() as session:
            await session.execute(
                delete(TelematicsCredential).where(TelematicsCredential.vin == stranger.vin)
            )
        await foreign.telemetry({SOC: 12.0}, ts=now)
        await unit.telemetry({SOC: 77.0}, ts=now)  # the gateway keeps going
    await vlink.settle()

    metrics = vlink.gateway.metrics
    assert metrics.count(Result.malformed) == 4
    assert metrics.count(Result.foreign_topic) == 1
    assert metrics.count(Result.processed) == 1
    async with vlink.runtime.db.transaction() as session:
        stored = await session.scalars(select(TwinSignal.vin).where(TwinSignal.path == SOC))
        assert list(stored) == [vlink.vin("phev")]


async def test_privacy_mode_hides_the_location_and_nothing_is_stored_meanwhile(
    vlink: VehicleLink, clock: ManualClock
) -> None:
    car = vlink.cars["phev"]
    now = clock.now()
    async with vlink.unit("phev") as unit:
        await unit.event("ignition_off", at=now - timedelta(minutes=20))
        await unit.telemetry({LAT: 48.1, LON: 11.5}, ts=now - timedelta(minutes=19))
        await unit.event(
            "privacy_mode_changed", at=now - timedelta(minutes=10), location_sharing=False
        )
        await unit.event("ignition_on", at=now - timedelta(minutes=9))
        await unit.telemetry({LAT: 47.0, LON: 10.0, SOC: 70.0}, ts=now - timedelta(minutes=5))
        await unit.event("ignition_off", at=now - timedelta(minutes=2))
        await unit.telemetry({LAT: 47.1, LON: 10.1}, ts=now - timedelta(minutes=1))
    await vlink.settle()

    where = await vlink.get("phev", "location")
    assert where.status_code == 409
    assert where.json()["code"] == "location_not_shared"
    async with vlink.runtime.db.transaction() as session:
        positions = await repository.positions(session, vin=car.vin)
        twin = {row.path: row for row in await repository.twin_signals(session, car.vin)}
        state = await repository.get_link_state(session, car.vin)
    assert [(p.latitude, p.longitude) for p in positions] == [(48.1, 11.5)]
    assert twin[LAT].value == 48.1  # the private positions never reached the twin either
    assert twin[SOC].value == 70.0  # other signals are not private
    assert state is not None
    assert (state.parked_latitude, state.parked_longitude) == (48.1, 11.5)

    async with vlink.unit("phev") as unit:
        await unit.event("privacy_mode_changed", at=now, location_sharing=True)
        await unit.telemetry({LAT: 47.2, LON: 10.2}, ts=now + timedelta(seconds=1))
    await vlink.settle()
    shown = await vlink.get("phev", "location")
    assert shown.status_code == 200
    assert (shown.json()["latitude"], shown.json()["longitude"]) == (47.2, 10.2)
    async with vlink.runtime.db.transaction() as session:
        count = await session.scalar(
            select(func.count()).select_from(PositionFix).where(PositionFix.vin == car.vin)
        )
    assert count == 2


def test_every_kind_of_vehicle_event_has_one_handler() -> None:
    import typing

    from linkplus.protocol.vehicle import EVENT_TYPES, EventMessage
    from linkplus.vehicle_link.twin import EVENT_HANDLERS

    kinds = set(typing.get_args(EventMessage))
    assert set(EVENT_HANDLERS) == kinds
    assert {kind.model_fields["type"].annotation.__args__[0] for kind in kinds} == set(EVENT_TYPES)

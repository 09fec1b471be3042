"""End to end: the simulator's telematics unit drives a car through a real broker (embedded amqtt
and Mosquitto) to the real gateway and worker, and the owner's API shows what happened.

Every scenario moves the simulator's clock and the platform's clock together; waits are bounded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.notifications import Category
from linkplus.models.telematics import TelematicsCredential
from linkplus.models.twin import SeenMessage, SignalSample, TwinSignal
from linkplus.notifications import service as notifications
from linkplus.protocol.vehicle import AlertKind, Channel
from linkplus.sim.car import DriveOutcome, SimulatedCar
from linkplus.sim.plan import PlannedTrip
from linkplus.sim.unit import SLEEP_AFTER
from linkplus.vehicle_link.gateway import Result
from tests.e2e.support import MODEL, choose_trip, shop, simulated
from tests.vehicle_link.support import VehicleLink

ODOMETER = "Vehicle.TraveledDistance"
LATITUDE = "Vehicle.CurrentLocation.Latitude"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
POST_TRIP_KINDS = {
    AlertKind.window_open,
    AlertKind.doors_unlocked,
    AlertKind.headlights_on,
    AlertKind.sunroof_open,
    AlertKind.boot_open,
    AlertKind.rear_seat_reminder,
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def quiet(outcome: DriveOutcome) -> bool:
    """Nothing forgotten, no privacy switch: a plain errand."""
    return not outcome.alerts and not outcome.privacy_changes


async def status(road: VehicleLink) -> dict[str, Any]:
    answer = await road.get("car", "status")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def history(road: VehicleLink, path: str) -> list[tuple[datetime, Any]]:
    async with road.runtime.db.transaction() as session:
        rows = await session.scalars(
            select(SignalSample)
            .where(SignalSample.vin == road.vin("car"), SignalSample.path == path)
            .order_by(SignalSample.ts)
        )
        return [(row.ts, row.value) for row in rows]


async def test_a_simulated_car_drives_parks_and_its_status_and_location_update(
    road: VehicleLink, clock: ManualClock
) -> None:
    t0 = clock.now()

    def plan(car: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            car,
            name="errand",
            departure=t0 + timedelta(minutes=5),
            destination=shop(car),
            wanted=quiet,
        )

    before = await status(road)
    assert before["connection"]["state"] == "unknown"
    assert before["odometer"]["km"] is None
    assert (await road.get("car", "location")).json()["code"] == "location_unknown"

    async with simulated(road, "car", model_code=MODEL, platform=clock, plan=plan) as drive:
        drive.move_to(t0 + timedelta(hours=2))
        await drive.finished(1)
        await drive.delivered()
        state = drive.car.state
        after = await status(road)
        where = await road.get("car", "location")

    assert after["connection"]["state"] == "online"
    assert after["odometer"]["km"] == round(state.odometer_km, 1)
    assert after["odometer"]["km"] > 0
    assert after["doors"]["all_closed"] is True
    assert after["doors"]["all_locked"] is True  # the driver locked it walking away
    assert after["windows"]["all_closed"] is True
    assert after["lights"]["headlights_on"] is False
    assert state.soc_pct is not None
    assert state.fuel_pct is not None
    assert after["battery"]["charge_percent"] == round(state.soc_pct, 1)
    assert after["fuel"]["level_percent"] == round(state.fuel_pct, 1)
    assert after["low_voltage_battery"]["voltage"] == round(state.voltage_12v, 2)
    assert len(after["tyres"]["tyres"]) == 4
    assert state.position_at is not None
    assert at(after["doors"]["reported_at"]) > state.position_at  # after the engine-off
    assert where.status_code == 200, where.text
    parked = where.json()
    assert parked["latitude"] == pytest.approx(state.lat, abs=1e-5)  # metres, as the car sent it
    assert parked["longitude"] == pytest.approx(state.lon, abs=1e-5)
    assert at(parked["parked_at"]) == state.position_at
    kinds = [event.type for event in await drive.events()]
    assert kinds == ["ignition_on", "ignition_off"]
    assert road.gateway.metrics.count(Result.processed) == drive.unit.stats.sent


async def test_privacy_mode_switched_on_in_the_car_hides_the_location_and_keeps_no_position(
    road: VehicleLink, clock: ManualClock
) -> None:
    t0 = clock.now()
    second_trip: list[PlannedTrip] = []

    def private(outcome: DriveOutcome) -> bool:
        return [on for _, on in outcome.privacy_changes] == [True]  # on, and it stays on

    def plan(car: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            car,
            name="out",
            departure=t0 + timedelta(minutes=5),
            destination=shop(car),
            wanted=quiet,
        )
        # Asked for when the first trip is over: the driver now likes privacy mode.
        car.habits = replace(car.habits, privacy_chance=1.0)
        second_trip.append(
            choose_trip(
                car,
                name="private",
                departure=t0 + timedelta(hours=4),
                destination=car.habits.home,
                wanted=private,
            )
        )
        yield second_trip[0]

    async with simulated(road, "car", model_code=MODEL, platform=clock, plan=plan) as drive:
        drive.move_to(t0 + timedelta(hours=2))
        await drive.finished(1)
        await drive.delivered()
        shared = await road.get("car", "location")
        assert shared.status_code == 200, shared.text
        positions_before = await drive.positions()
        assert positions_before

        drive.move_to(t0 + timedelta(hours=6))
        await drive.finished(2)
        await drive.delivered()
        hidden = await road.get("car", "location")
        positions_after = await drive.positions()
        state = drive.car.state
        events = await drive.events()
        odometer = (await status(road))["odometer"]["km"]

    assert state.privacy_mode is True  # the car did switch, as the copy said it would
    assert hidden.status_code == 409
    assert hidden.json()["code"] == "location_not_shared"
    assert [(p.ts, p.latitude) for p in positions_after] == [
        (p.ts, p.latitude) for p in positions_before
    ]
    switched = next(e for e in events if e.type == "privacy_mode_changed")
    assert switched.kind == "location_sharing_off"
    assert all(p.ts < switched.occurred_at for p in positions_after)
    async with road.runtime.db.transaction() as session:
        twin_lat = await session.get(TwinSignal, (road.vin("car"), LATITUDE))
    assert twin_lat is not None
    assert twin_lat.ts < switched.occurred_at
    assert odometer == round(state.odometer_km, 1)  # everything else still arrives


async def test_privacy_mode_switched_on_in_the_app_keeps_nothing_the_car_still_sends(
    road: VehicleLink, clock: ManualClock
) -> None:
    t0 = clock.now()

    def plan(car: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            car,
            name="errand",
            departure=t0 + timedelta(minutes=5),
            destination=shop(car),
            wanted=quiet,
        )

    switched = await road.client.put(
        f"/api/v1/vehicles/{road.vin('car')}/privacy-mode",
        json={"location_sharing": False},
        headers=await road.headers("car"),
    )
    assert switched.status_code == 200, switched.text
    async with simulated(road, "car", model_code=MODEL, platform=clock, plan=plan) as drive:
        drive.move_to(t0 + timedelta(hours=2))
        await drive.finished(1)
        await drive.delivered()
        assert drive.car.state.privacy_mode is False  # the car itself still shares
        hidden = await road.get("car", "location")
        positions = await drive.positions()
        odometer = (await status(road))["odometer"]["km"]
        state = drive.car.state

    assert hidden.status_code == 409
    assert positions == []
    async with road.runtime.db.transaction() as session:
        assert await session.get(TwinSignal, (road.vin("car"), LATITUDE)) is None
    assert odometer == round(state.odometer_km, 1)


async def test_a_car_out_of_coverage_delivers_later_without_losing_or_reordering(
    road: VehicleLink, clock: ManualClock
) -> None:
    t0 = clock.now()
    home_at = t0 + timedelta(hours=4)

    def plan(car: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            car,
            name="car-park",
            departure=t0 + timedelta(minutes=5),
            destination=shop(car, underground=True),
            wanted=quiet,
        )
        yield choose_trip(
            car, name="home", departure=home_at, destination=car.habits.home, wanted=quiet
        )

    async with simulated(road, "car", model_code=MODEL, platform=clock, plan=plan) as drive:
        unit = drive.unit
        drive.move_to(t0 + timedelta(hours=2))
        await drive.finished(1)
        assert not unit.covered
        kept = unit.pending()
        sent_before = unit.stats.sent
        assert {type(m).__name__ for m in kept} >= {"IgnitionOff", "TripUpload", "Telemetry"}
        parked_km = round(drive.car.state.odometer_km, 1)
        underground = await status(road)
        assert underground["odometer"]["km"] is None  # nothing of the car park has arrived
        assert (await road.get("car", "location")).json()["code"] == "location_unknown"

        drive.move_to(home_at + timedelta(hours=1))
        await drive.finished(2)
        await drive.delivered()
        state = drive.car.state
        final_km = round(state.odometer_km, 1)
        home = await status(road)
        where = (await road.get("car", "location")).json()
        events = await drive.events()
        link_state = await drive.link_state()
        sent = unit.stats.sent

    metrics = road.gateway.metrics
    assert metrics.count(Result.processed) == sent  # every message, once
    assert metrics.count(Result.duplicate) == 0
    async with road.runtime.db.transaction() as session:
        seen = set(await session.scalars(select(SeenMessage.msg_id)))
    assert {m.msg_id for m in kept} <= seen
    # Sequence numbers are consecutive: the last one on record is the last one the unit made.
    assert link_state is not None
    assert link_state.last_seq == kept[0].seq - sent_before + sent - 1
    assert [e.type for e in events] == ["ignition_on", "ignition_off"] * 2
    odometers = await history(road, ODOMETER)
    assert [value for _, value in odometers] == sorted(value for _, value in odometers)
    assert parked_km in [value for _, value in odometers]  # the late car-park reading is kept
    assert home["odometer"]["km"] == final_km > parked_km  # and did not overwrite the newer one
    assert where["latitude"] == pytest.approx(state.lat, abs=1e-5)  # where it parked at home
    assert where["longitude"] == pytest.approx(state.lon, abs=1e-5)


async def test_nine_idle_days_put_the_simulated_car_to_sleep_until_the_engine_starts(
    road: VehicleLink, clock: ManualClock
) -> None:
    t0 = clock.now()
    back_at = t0 + timedelta(days=12)

    def plan(car: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            car,
            name="last",
            departure=t0 + timedelta(minutes=5),
            destination=shop(car),
            wanted=quiet,
        )
        yield choose_trip(
            car,
            name="holiday-over",
            departure=back_at,
            destination=car.habits.home,
            wanted=quiet,
        )

    async with simulated(road, "car", model_code=MODEL, platform=clock, plan=plan) as drive:
        drive.move_to(t0 + timedelta(hours=2))
        await drive.finished(1)
        await drive.delivered()
        drive.move_to(t0 + timedelta(days=8))
        not_yet = await status(road)
        assert not_yet["connection"]["state"] == "offline"  # quiet, not asleep
        assert not drive.unit.asleep

        drive.move_to(t0 + timedelta(days=9, hours=6))
        await drive.until(lambda: drive.unit.asleep and not drive.unit.connected, "sleep")
        await drive.delivered()
        asleep = await status(road)
        refused = await road.post("car", "refresh")
        link_state = await drive.link_state()
        assert link_state is not None
        assert link_state.last_ignition_off_at is not None

        drive.move_to(back_at + timedelta(hours=1))
        await drive.finished(2)
        await drive.delivered()
        awake = await status(road)

    assert asleep["connection"]["state"] == "asleep"
    assert at(asleep["connection"]["asleep_since"]) == (
        link_state.last_ignition_off_at + SLEEP_AFTER
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "vehicle_asleep"
    assert awake["connection"]["state"] == "online"


async def test_the_post_trip_alert_arrives_after_the_delay(
    road: VehicleLink, clock: ManualClock, worker: Worker
) -> None:
    t0 = clock.now()
    forgotten: list[DriveOutcome] = []

    def forgetful(outcome: DriveOutcome) -> bool:
        kinds = {alert.kind for alert in outcome.alerts}
        if kinds & POST_TRIP_KINDS and not outcome.privacy_changes:
            forgotten.append(outcome)
            return True
        return False

    def plan(car: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            car,
            name="forgetful",
            departure=t0 + timedelta(minutes=5),
            destination=shop(car),
            wanted=forgetful,
        )

    account = road.cars["car"].owner.account
    delay = timedelta(minutes=road.runtime.settings.post_trip_alert_minutes)
    async with simulated(road, "car", model_code=MODEL, platform=clock, plan=plan) as drive:
        outcome = forgotten[-1]
        drive.move_to(outcome.left_at + timedelta(minutes=2))  # walked away, alerts raised
        await drive.finished(1)
        await drive.delivered()
        await worker.run_due()
        early = await _post_trip_alerts(road, account.id)

        drive.move_to(outcome.ended_at + delay + timedelta(seconds=1))
        await worker.run_due()
        found = await _post_trip_alerts(road, account.id)
        drive.advance(hours=1)
        await worker.run_due()
        again = await _post_trip_alerts(road, account.id)

    assert early == []
    assert len(found) == 1
    title, body = found[0]
    assert "Lexus NX 450h+" in title
    labels = {
        AlertKind.window_open: "Window open",
        AlertKind.doors_unlocked: "Doors unlocked",
        AlertKind.headlights_on: "Headlights on",
        AlertKind.sunroof_open: "Sunroof open",
        AlertKind.boot_open: "Boot open",
        AlertKind.rear_seat_reminder: "Check the rear seat",
    }
    for alert in outcome.alerts:
        if alert.kind in labels:
            assert labels[alert.kind] in body
    assert again == found  # once


async def _post_trip_alerts(road: VehicleLink, account_id: uuid.UUID) -> list[tuple[str, str]]:
    async with road.runtime.db.transaction() as session:
        inbox = await notifications.inbox(session, account_id=account_id)
    return [
        (n.title, n.body)
        for n in inbox
        if n.category == Category.vehicle_alerts.value and n.kind == "post_trip_alert"
    ]


async def test_malformed_and_foreign_messages_are_counted_and_ignored_while_a_car_drives(
    road: VehicleLink, clock: ManualClock
) -> None:
    t0 = clock.now()
    other = road.cars["other"]

    def plan(car: SimulatedCar) -> Iterator[PlannedTrip]:
        yield choose_trip(
            car,
            name="errand",
            departure=t0 + timedelta(minutes=5),
            destination=shop(car),
            wanted=quiet,
        )

    async with (
        simulated(road, "car", model_code=MODEL, platform=clock, plan=plan) as drive,
        road.unit("other") as rogue,
    ):
        await rogue.publish(Channel.telemetry, b"{not json")
        await rogue.publish(Channel.events, rogue.message({"type": "teleport"}, at=t0))
        drive.move_to(t0 + timedelta(hours=2))  # the simulated car drives meanwhile
        # The rogue unit's credential is withdrawn while it is connected: what it still sends
        # comes from a topic no provisioned unit owns.
        async with road.runtime.db.transaction() as session:
            await session.execute(
                delete(TelematicsCredential).where(TelematicsCredential.vin == other.vin)
            )
        await rogue.telemetry({SOC: 1.0}, ts=t0)
        # Publishing under the simulated car's VIN: the broker refuses, nothing reaches us.
        await rogue.client.publish(
            f"vehicles/{road.vin('car')}/telemetry",
            rogue.message({"signals": [{"path": SOC, "value": 2.0, "ts": t0.isoformat()}]}, at=t0),
            qos=1,
        )
        await drive.finished(1)
        await drive.delivered()
        state = drive.car.state
        after = await status(road)

    metrics = road.gateway.metrics
    assert metrics.count(Result.malformed) == 2
    assert metrics.count(Result.foreign_topic) == 1
    assert metrics.count(Result.processed) == drive.unit.stats.sent
    assert state.soc_pct is not None
    assert after["battery"]["charge_percent"] == round(state.soc_pct, 1)
    assert after["odometer"]["km"] == round(state.odometer_km, 1)
    async with road.runtime.db.transaction() as session:
        stored = await session.scalars(select(TwinSignal.vin).where(TwinSignal.path == SOC))
        assert list(stored) == [road.vin("car")]

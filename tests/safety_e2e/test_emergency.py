"""SOS calls and collision notifications over the real protocol: the simulated car presses the
button or crashes, retries without coverage on the moved clock, and the emergency agent handles
the case through the staff API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from linkplus.protocol.vehicle import CollisionSensor, Occupant
from linkplus.safety import msd, repository
from linkplus.sim.safety import COLLISION_RETRY_FIRST, SOS_RETRY
from tests.safety_e2e.support import SafetyLink


async def move(slink: SafetyLink, **delta: float) -> None:
    """Move the clock without waiting for messages to cross (the car may be out of coverage,
    with messages waiting)."""
    slink.clock.advance(timedelta(**delta))
    for _ in range(50):
        await asyncio.sleep(0)


async def ignition(slink: SafetyLink) -> None:
    slink.unit.switch_ignition(True, slink.clock.now())
    await slink.advance(seconds=5)  # the self-test is over


async def test_the_status_light_self_test_working_and_fault_reach_the_owner(
    slink: SafetyLink,
) -> None:
    slink.unit.switch_ignition(True, slink.clock.now())
    await slink.advance(seconds=1)
    status = (await slink.owner("GET", "safety")).json()
    assert status["light"] == "self_test"
    await slink.advance(seconds=3)
    status = (await slink.owner("GET", "safety")).json()
    assert (status["light"], status["see_dealer"]) == ("working", False)

    slink.safety.simulate_fault(slink.clock.now())
    await slink.advance(seconds=1)
    status = (await slink.owner("GET", "safety")).json()
    assert (status["light"], status["see_dealer"]) == ("fault", True)
    assert "dealer" in status["light_meaning"]


async def test_sos_with_an_answer_opens_a_case_the_agent_sees_in_words(slink: SafetyLink) -> None:
    await ignition(slink)
    slink.car.state.occupants = 2
    pressed_at = slink.clock.now()
    assert slink.safety.press_sos(pressed_at, occupant=Occupant.responding)
    await slink.advance(seconds=1)

    case = await slink.only_case()
    assert (case["kind"], case["trigger"], case["attempts"]) == ("sos", "sos_button", 1)
    assert case["call_state"] == "connected"
    assert case["latitude"] == pytest.approx(slink.car.state.lat, abs=1e-4)
    assert (await slink.owner("GET", "safety")).json()["light"] == "call_in_progress"
    assert not case["taken"]

    await slink.advance(seconds=10)  # the voice line: the occupants answer
    taken = await slink.act(case["id"], "take")
    assert taken["occupant"] == "responding"
    assert taken["vin"] == slink.vin
    assert taken["primary_account"]["email"] == slink.car.owner.account.email
    words = {item["label"]: item["value"] for item in taken["data_set"]}
    assert slink.vin in " ".join(words.values())
    assert taken["data_set_error"] is None
    assert await slink.attempts() == [(1, "connected")]

    await slink.advance(minutes=2)  # the call ends
    assert await slink.attempts() == [(1, "connected"), (1, "ended")]
    assert (await slink.owner("GET", "safety")).json()["light"] == "working"
    closed = await slink.act(case["id"], "close", outcome="assisted", note="Flat tyre, towed.")
    assert (closed["state"], closed["outcome"]) == ("closed", "assisted")


async def test_the_data_set_is_the_cars_state_encoded_as_ecall_does(slink: SafetyLink) -> None:
    await ignition(slink)
    state = slink.car.state
    start = (state.lat, state.lon)
    slink.safety.move_to(start[0] + 0.002, start[1] + 0.001, slink.clock.now(), speed_kmh=40)
    slink.safety.move_to(start[0] + 0.004, start[1] + 0.002, slink.clock.now(), speed_kmh=40)
    state.occupants = 3
    slink.safety.crash(slink.clock.now(), sensor=CollisionSensor.impact)
    await slink.advance(seconds=1)
    await slink.settle()

    incident = slink.safety.incidents[-1]
    assert incident.attempts[0][2].value == "connected"
    async with slink.runtime.db.transaction() as session:
        case = await repository.case_by_incident(
            session, vin=slink.vin, incident_id=incident.incident_id
        )
        assert case is not None
        assert case.msd is not None
        data = msd.decode(case.msd)
    assert data.vin == slink.vin
    assert data.activation is msd.Activation.automatic
    assert data.passengers == 3
    assert data.propulsion == frozenset({msd.Propulsion.petrol, msd.Propulsion.electric})
    assert data.position.latitude == pytest.approx(start[0] + 0.004, abs=1e-5)
    assert len(data.previous) == 2
    assert data.previous[0].latitude == pytest.approx(start[0] + 0.002, abs=1e-4)
    assert data.previous[1].latitude == pytest.approx(start[0], abs=1e-4)
    assert data.timestamp == slink.clock.now().replace(microsecond=0) - timedelta(seconds=1)


async def test_an_accidental_press_is_closed_without_dispatch(slink: SafetyLink) -> None:
    await ignition(slink)
    assert slink.safety.press_sos(slink.clock.now(), occupant=Occupant.responding)
    await slink.advance(seconds=11)
    case = await slink.only_case()
    await slink.act(case["id"], "take")
    closed = await slink.act(case["id"], "accidental")
    assert (closed["state"], closed["outcome"]) == ("closed", "accidental")
    assert closed["dispatched"] == []
    assert await slink.queue() == []
    actions = [entry["action"] for entry in closed["entries"]]
    assert "dispatched" not in actions
    assert actions.index("taken") < actions.index("closed")


async def test_no_answer_to_an_sos_call_the_agent_dispatches(slink: SafetyLink) -> None:
    await ignition(slink)
    assert slink.safety.press_sos(slink.clock.now(), occupant=Occupant.silent)
    await slink.advance(seconds=11)
    case = await slink.only_case()
    taken = await slink.act(case["id"], "take")
    assert taken["occupant"] == "silent"
    dispatched = await slink.act(case["id"], "dispatch", service="ambulance")
    assert [d["service"] for d in dispatched["dispatched"]] == ["ambulance"]
    assert dispatched["dispatched"][0]["latitude"] == pytest.approx(slink.car.state.lat, abs=1e-4)
    closed = await slink.act(case["id"], "close", outcome="no_answer_dispatched")
    assert closed["outcome"] == "no_answer_dispatched"


async def test_the_sos_button_does_nothing_with_the_ignition_off(slink: SafetyLink) -> None:
    assert not slink.car.state.ignition_on
    assert not slink.safety.press_sos(slink.clock.now())
    await slink.advance(minutes=5)
    assert slink.safety.incidents == []
    assert await slink.cases_stored() == 0


@pytest.mark.parametrize(
    ("sensor", "occupant"),
    [(CollisionSensor.airbag, Occupant.silent), (CollisionSensor.impact, Occupant.responding)],
)
async def test_a_crash_opens_a_collision_case_and_the_agent_acts_on_the_occupant(
    slink: SafetyLink, sensor: CollisionSensor, occupant: Occupant
) -> None:
    await ignition(slink)
    slink.safety.crash(slink.clock.now(), sensor=sensor, occupant=occupant)
    await slink.advance(seconds=11)
    case = await slink.only_case()
    assert (case["kind"], case["trigger"]) == ("collision", sensor.value)
    taken = await slink.act(case["id"], "take")
    assert taken["occupant"] == occupant.value
    if occupant is Occupant.silent:  # nobody answers: help goes to the car's position
        after = await slink.act(case["id"], "dispatch", service="ambulance")
        sent = after["dispatched"][0]
        assert (sent["latitude"], sent["longitude"]) == (case["latitude"], case["longitude"])
        outcome = "no_answer_dispatched"
    else:
        outcome = "assisted"
    closed = await slink.act(case["id"], "close", outcome=outcome)
    assert closed["state"] == "closed"


async def test_sos_without_coverage_tries_three_times_and_every_attempt_is_recorded(
    slink: SafetyLink,
) -> None:
    await ignition(slink)
    slink.unit.set_coverage(False, slink.clock.now())
    assert slink.safety.press_sos(slink.clock.now(), occupant=Occupant.silent)
    await move(slink, seconds=1)  # attempt 1: no coverage
    await move(slink, seconds=SOS_RETRY.total_seconds())  # attempt 2: none either
    assert [a[2].value for a in slink.safety.incidents[0].attempts] == ["no_coverage"] * 2
    slink.unit.set_coverage(True, slink.clock.now())
    await slink.advance(seconds=SOS_RETRY.total_seconds())  # attempt 3 gets through
    assert await slink.attempts() == [(1, "no_coverage"), (2, "no_coverage"), (3, "connected")]
    case = await slink.only_case()
    assert (case["attempts"], case["call_state"]) == (3, "connected")
    detail = await slink.detail(case["id"])
    attempts = [e["detail"] for e in detail["entries"] if e["action"] == "attempt"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]


async def test_sos_without_coverage_gives_up_after_three_attempts(slink: SafetyLink) -> None:
    await ignition(slink)
    slink.unit.set_coverage(False, slink.clock.now())
    assert slink.safety.press_sos(slink.clock.now())
    await move(slink, minutes=5)
    incident = slink.safety.incidents[0]
    assert incident.gave_up
    assert [a[0] for a in incident.attempts] == [1, 2, 3]
    slink.unit.set_coverage(True, slink.clock.now())
    await slink.advance(minutes=5)
    assert await slink.cases_stored() == 0


async def test_a_collision_without_coverage_retries_until_it_gets_through(
    slink: SafetyLink,
) -> None:
    slink.unit.set_coverage(False, slink.clock.now())
    slink.safety.crash(slink.clock.now(), sensor=CollisionSensor.airbag)
    await move(slink, seconds=1)  # attempt 1 at once
    await move(slink, seconds=COLLISION_RETRY_FIRST.total_seconds())  # 2 at 30 s
    await move(slink, seconds=60)  # 3 at 90 s
    incident = slink.safety.incidents[0]
    assert [a[0] for a in incident.attempts] == [1, 2, 3]
    assert await slink.cases_stored() == 0
    slink.unit.set_coverage(True, slink.clock.now())
    await slink.advance(seconds=120)  # 4 at 210 s has coverage
    await slink.advance(seconds=11)
    assert await slink.attempts() == [
        (1, "no_coverage"),
        (2, "no_coverage"),
        (3, "no_coverage"),
        (4, "connected"),
    ]
    case = await slink.only_case()
    assert (case["kind"], case["attempts"]) == ("collision", 4)


async def test_a_collision_gets_through_late_on_its_last_day_with_every_attempt(
    slink: SafetyLink,
) -> None:
    slink.unit.set_coverage(False, slink.clock.now())
    slink.safety.crash(slink.clock.now(), sensor=CollisionSensor.airbag)
    for _ in range(23):
        await move(slink, hours=1)
    incident = slink.safety.incidents[0]
    failed = len(incident.attempts)
    assert failed > 40  # 30 s, then twice as long each time, at most 30 min apart
    slink.unit.set_coverage(True, slink.clock.now())
    await slink.advance(minutes=31)
    stored = await slink.attempts()
    assert stored[:failed] == [(n, "no_coverage") for n in range(1, failed + 1)]
    assert stored[failed] == (failed + 1, "connected")
    assert (await slink.only_case())["attempts"] == failed + 1


async def test_a_collision_stops_trying_after_24_hours(slink: SafetyLink) -> None:
    slink.unit.set_coverage(False, slink.clock.now())
    crashed_at = slink.clock.now()
    slink.safety.crash(crashed_at, sensor=CollisionSensor.airbag)
    for _ in range(25):
        await move(slink, hours=1)
    incident = slink.safety.incidents[0]
    assert incident.gave_up
    last = incident.attempts[-1][1]
    assert crashed_at + timedelta(hours=23) < last < crashed_at + timedelta(hours=24)
    slink.unit.set_coverage(True, slink.clock.now())
    await slink.advance(hours=1)
    assert await slink.cases_stored() == 0
    assert await slink.attempts() == []

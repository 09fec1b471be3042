"""A theft acted out by the simulated car with privacy mode on, over the real protocol: the
owner's report, the agent's checks, tracking started and stopped with signed commands, the
positions every 30 s in the case's trail only, the battery pulled and put back, and the owner's
reactivation (password, then the e-mailed code)."""

from __future__ import annotations

import uuid

from linkplus.models.safety import SafetyCase
from linkplus.protocol.vehicle import Command
from linkplus.safety.rules import TRACKING_INTERVAL_SECONDS
from linkplus.sim.safety import TRACKING_START, TRACKING_STOP
from tests.safety_e2e.support import SafetyLink, code_in
from tests.support import DEFAULT_PASSWORD, Mailbox

POLICE_REFERENCE = "PR-2026/11/0421"


def signed_commands(slink: SafetyLink, type_: str) -> list[Command]:
    return [c for vin, c in slink.link.publisher.sent if vin == slink.vin and c.type == type_]


async def tracking_of(slink: SafetyLink, case_id: str) -> str:
    async with slink.runtime.db.transaction() as session:
        case = await session.get(SafetyCase, uuid.UUID(case_id))
        assert case is not None
        return case.tracking


async def park(slink: SafetyLink) -> None:
    """A short drive ends: the car reports where it is parked (location sharing on)."""
    slink.unit.switch_ignition(True, slink.clock.now())
    await slink.advance(minutes=1)
    slink.unit.switch_ignition(False, slink.clock.now())
    await slink.advance(seconds=1)
    state = slink.car.state
    slink.safety.move_to(state.lat, state.lon, slink.clock.now())  # a fresh fix, parked
    slink.unit.send_status(slink.clock.now())
    await slink.advance(seconds=1)


async def report_and_track(slink: SafetyLink) -> str:
    """The owner reports the theft; the stolen-vehicle agent checks it and starts tracking."""
    reported = await slink.owner(
        "POST", "safety/theft", json={"police_reference": POLICE_REFERENCE}
    )
    assert reported.status_code == 201, reported.text
    case_id = str(reported.json()["case_id"])
    assert [c["id"] for c in await slink.queue(slink.svt)] == [case_id]
    await slink.act(case_id, "take", slink.svt)
    checked = await slink.act(
        case_id,
        "checks",
        slink.svt,
        police_reference_confirmed=True,
        identity_confirmed=True,
    )
    assert checked["checks"]["service_active"] is True
    started = await slink.act(case_id, "tracking/start", slink.svt)
    assert started["tracking"] == "active"
    await slink.settle()
    return case_id


async def test_a_theft_with_privacy_mode_on_from_report_to_reactivation(
    slink: SafetyLink, mailbox: Mailbox
) -> None:
    safety, clock = slink.safety, slink.clock
    slink.unit.switch_privacy(True, clock.now())
    await slink.advance(seconds=5)
    positions_before = await slink.owner_positions()
    twin_before = await slink.twin_latitude()  # where the car was parked before privacy mode

    safety.driven_away(clock.now(), speed_kmh=60)
    await slink.advance(minutes=2)
    case_id = await report_and_track(slink)

    # The car received the signed start and obeyed it.
    [start] = signed_commands(slink, TRACKING_START)
    assert start.signature is not None
    assert start.params == {"case": case_id, "interval_s": TRACKING_INTERVAL_SECONDS}
    assert slink.link.watcher.for_command(start.msg_id) == [
        ("received", None),
        ("succeeded", None),
    ]
    assert safety.tracking is not None
    assert safety.tracking.case == case_id

    # A position at once, then one every 30 s, all in the case's trail, all different.
    assert len(await slink.trail(case_id)) == 1
    for _ in range(4):
        await slink.advance(seconds=TRACKING_INTERVAL_SECONDS)
    trail = await slink.trail(case_id)
    assert len(trail) == 5
    assert len(set(trail)) == 5  # the thief is driving
    # ... and none of it reaches the owner: no twin value, no position history.
    assert await slink.twin_latitude() == twin_before
    assert twin_before not in {lat for lat, _ in trail}
    assert await slink.owner_positions() == positions_before
    positions = await slink.staff(slink.svt, "GET", f"/cases/{case_id}/positions")
    assert len(positions.json()) == 5
    refused = await slink.staff(slink.agent, "GET", f"/cases/{case_id}/positions")
    assert refused.status_code == 404  # an emergency agent does not handle thefts

    # The owner's app: a banner, location and remote commands refused.
    status = (await slink.owner("GET", "safety")).json()
    assert status["theft"]["state"] == "tracking"
    location = await slink.owner("GET", "location")
    assert (location.status_code, location.json()["code"]) == (409, "vehicle_reported_stolen")
    command = await slink.owner("POST", "commands", json={"type": "door-lock"})
    assert command.status_code == 409, command.text
    assert command.json()["code"] == "stolen_vehicle_tracking"
    events = (await slink.owner("GET", "safety/events")).json()
    assert [e["kind"] for e in events] == ["theft"]

    # The thief pulls the battery: tracking pauses, no positions; back on, it resumes.
    safety.disconnect_battery(clock.now())
    await slink.advance(seconds=1)
    assert await tracking_of(slink, case_id) == "paused"
    for _ in range(3):
        await slink.advance(seconds=TRACKING_INTERVAL_SECONDS)
    assert len(await slink.trail(case_id)) == 5
    safety.reconnect_battery(clock.now())
    await slink.advance(seconds=1)
    assert await tracking_of(slink, case_id) == "active"
    assert len(await slink.trail(case_id)) == 6
    await slink.advance(seconds=TRACKING_INTERVAL_SECONDS)
    assert len(await slink.trail(case_id)) == 7

    # Recovered; the police ask to stop. The car gets the signed stop and falls silent.
    safety.recovered(clock.now())
    await slink.advance(seconds=5)
    stopped = await slink.act(case_id, "tracking/stop", slink.svt, ended_by="police")
    assert (stopped["tracking"], stopped["tracking_ended_by"]) == ("ended", "police")
    await slink.settle()
    [stop] = signed_commands(slink, TRACKING_STOP)
    assert slink.link.watcher.for_command(stop.msg_id)[-1] == ("succeeded", None)
    assert safety.tracking is None
    trail_at_stop = len(await slink.trail(case_id))
    for _ in range(3):
        await slink.advance(seconds=TRACKING_INTERVAL_SECONDS)
    assert len(await slink.trail(case_id)) == trail_at_stop
    assert (await slink.owner("POST", "commands", json={"type": "door-lock"})).status_code == 409

    # Reactivation: the password, then the code from the e-mail.
    wrong = await slink.owner("POST", "safety/reactivation", json={"password": "not it at all"})
    assert wrong.status_code in (400, 401, 403, 409, 422), wrong.text
    started = await slink.owner("POST", "safety/reactivation", json={"password": DEFAULT_PASSWORD})
    assert started.status_code == 200, started.text
    await slink.worker.run_due()
    code = code_in(mailbox, slink.car.owner.account.email)
    confirmed = await slink.owner("POST", "safety/reactivation/confirm", json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["theft"] is None
    await slink.advance(seconds=5)
    again = await slink.owner("POST", "commands", json={"type": "door-lock"})
    assert again.status_code == 202, again.text
    done = await slink.link.outcome("car", again.json()["id"])  # the car carries it out again
    assert done["state"] == "completed", done
    assert await slink.owner_positions() == positions_before


async def test_a_phone_report_by_vin_and_a_stop_asked_by_the_reporter(slink: SafetyLink) -> None:
    opened = await slink.staff(
        slink.svt,
        "POST",
        "/thefts",
        json={"vin": slink.vin, "police_reference": POLICE_REFERENCE},
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    assert opened.json()["reported_via"] == "phone"
    await slink.act(
        case_id, "checks", slink.svt, police_reference_confirmed=True, identity_confirmed=True
    )
    await slink.act(case_id, "tracking/start", slink.svt)
    await slink.settle()
    assert slink.safety.tracking is not None
    stopped = await slink.act(case_id, "tracking/stop", slink.svt, ended_by="reporter")
    assert stopped["tracking_ended_by"] == "reporter"
    await slink.settle()
    assert slink.safety.tracking is None


async def test_a_flat_battery_pauses_tracking_until_it_is_charged(slink: SafetyLink) -> None:
    case_id = await report_and_track(slink)
    slink.safety.drain_battery(slink.clock.now())
    await slink.advance(seconds=1)
    assert await tracking_of(slink, case_id) == "paused"
    count = len(await slink.trail(case_id))
    await slink.advance(minutes=2)
    assert len(await slink.trail(case_id)) == count
    slink.safety.charge_battery(slink.clock.now())
    await slink.advance(seconds=1)
    assert await tracking_of(slink, case_id) == "active"
    assert len(await slink.trail(case_id)) == count + 1


async def test_the_car_refuses_a_tracking_start_not_signed_with_its_key(slink: SafetyLink) -> None:
    forged = slink.link.signed(
        "car",
        TRACKING_START,
        counter=10_000,
        params={"case": str(uuid.uuid4()), "interval_s": 30},
        key=b"not the car's key" * 2,
    )
    [answers] = await slink.link.inject("car", forged)
    assert answers == [("rejected", "bad_signature")]
    assert slink.safety.tracking is None
    good = slink.link.signed(
        "car", TRACKING_START, counter=10_001, params={"case": "x", "interval_s": 30}
    )
    await slink.link.inject("car", good)

    async def finished() -> bool:
        return len(slink.link.watcher.for_command(good.msg_id)) >= 2

    await slink.link.until(finished, "the car's final answer")
    assert slink.link.watcher.for_command(good.msg_id) == [
        ("received", None),
        ("succeeded", None),
    ]
    assert slink.safety.tracking is not None
    before = len(slink.link.watcher.for_command(good.msg_id))
    await slink.link.inject("car", good)  # the same signed command again
    assert slink.link.watcher.for_command(good.msg_id)[before:] == [("rejected", "replayed")]


async def test_tracking_positions_never_reach_the_owner_even_without_privacy_mode(
    slink: SafetyLink,
) -> None:
    """The car shares its location (privacy mode off) when it is stolen: the tracking positions
    are the case's all the same, not the owner's (the owner asks the police)."""
    await park(slink)
    parked = await slink.owner("GET", "location")
    assert parked.status_code == 200, parked.text
    history, twin = await slink.owner_positions(), await slink.twin_latitude()
    slink.safety.driven_away(slink.clock.now(), speed_kmh=50)
    await slink.advance(seconds=30)
    case_id = await report_and_track(slink)
    for _ in range(3):
        await slink.advance(seconds=TRACKING_INTERVAL_SECONDS)
    trail = await slink.trail(case_id)
    assert len(trail) == 4
    assert await slink.owner_positions() == history
    assert await slink.twin_latitude() == twin
    location = await slink.owner("GET", "location")
    assert location.status_code == 409, location.text
    assert location.json()["code"] == "vehicle_reported_stolen", location.text

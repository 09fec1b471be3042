"""SOS calls and collision notifications as they reach the platform, and the emergency agents'
handling of them: one case per incident however many attempts, every attempt recorded once,
the person behind the car shown only to the agent who took an open case, everything audited."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.models.audit import AuditEntry
from linkplus.models.safety import SafetyAttempt, SafetyCase
from linkplus.models.twin import PositionFix
from linkplus.runtime import Runtime
from linkplus.safety import msd
from linkplus.vehicle_link.gateway import Result
from tests.safety.support import run_jobs, safety_car, staff

CASES = "/api/v1/staff/safety/cases"


async def test_three_attempts_of_one_sos_press_make_one_case_with_each_attempt(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    incident = uuid.uuid4()
    pressed = clock.now()
    # No coverage twice: the car reports those attempts with the one that got through.
    await car.emergency(incident, at=pressed, attempt=1, call="no_coverage")
    await car.emergency(incident, at=pressed + timedelta(seconds=20), attempt=2, call="no_coverage")
    clock.advance(seconds=45)
    assert await car.emergency(incident, at=clock.now(), attempt=3) is Result.processed

    _, headers = await staff(runtime, StaffRole.emergency_agent)
    queue = (await client.get(CASES, headers=headers)).json()
    assert [(c["kind"], c["attempts"], c["state"], c["call_state"]) for c in queue] == [
        ("sos", 3, "open", "connected")
    ]
    assert queue[0]["latitude"] == 50.8466
    assert queue[0]["longitude"] == 4.3528
    async with runtime.db.transaction() as session:
        attempts = (await session.scalars(select(SafetyAttempt.attempt))).all()
        cases = await session.scalar(select(func.count()).select_from(SafetyCase))
    assert sorted(attempts) == [1, 2, 3]
    assert cases == 1


async def test_the_same_message_delivered_twice_counts_once(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    incident, message = uuid.uuid4(), uuid.uuid4()
    assert await car.emergency(incident, at=clock.now(), msg_id=message) is Result.processed
    assert await car.emergency(incident, at=clock.now(), msg_id=message) is Result.duplicate
    async with runtime.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(SafetyAttempt)) == 1


async def test_an_unreadable_data_set_still_opens_the_case(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.emergency(uuid.uuid4(), at=clock.now(), sensor="airbag", data="AAAAAAAA")
    _agent, headers = await staff(runtime, StaffRole.emergency_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    assert (case["kind"], case["trigger"]) == ("collision", "airbag")
    detail = (await client.get(f"{CASES}/{case['id']}", headers=headers)).json()
    assert detail["data_set"] == []
    assert detail["data_set_error"]


async def test_a_data_set_without_a_position_fix_is_read_and_a_later_fix_places_the_case(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """In a tunnel the car sends "not known" for its position, heading and time (EN 15722's
    values for them): the case opens with the data set read, no place yet, and the next
    attempt's fix places it."""
    car = await safety_car(runtime, client)
    incident = uuid.uuid4()
    blind = msd.MinimumSetOfData(
        message_id=1,
        activation=msd.Activation.manual,
        test_call=False,
        position_trusted=False,
        vehicle_type=msd.VehicleType.passenger_m1,
        vin=car.vin,
        propulsion=frozenset({msd.Propulsion.petrol}),
        timestamp=None,
        position=None,
        direction_deg=None,
        previous=(),
        passengers=1,
    )
    sent = await car.emergency(incident, at=clock.now(), data=msd.to_text(msd.encode(blind)))
    assert sent is Result.processed
    _, headers = await staff(runtime, StaffRole.emergency_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    assert (case["latitude"], case["longitude"]) == (None, None)
    detail = (await client.get(f"{CASES}/{case['id']}", headers=headers)).json()
    rows = {row["label"]: row["value"] for row in detail["data_set"]}
    assert rows["Position"] == "Not known (the car had no position fix)"
    assert rows["Direction"] == "Not known"
    assert rows["Time"] == "Not known (the car sent no time)"
    assert not detail["data_set_error"]

    clock.advance(seconds=30)
    await car.emergency(incident, at=clock.now(), attempt=2)  # out of the tunnel: a fix
    (case,) = (await client.get(CASES, headers=headers)).json()
    assert (case["latitude"], case["longitude"]) == (50.8466, 4.3528)


async def test_the_agent_sees_the_person_only_on_a_case_they_have_taken(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.emergency(uuid.uuid4(), at=clock.now())
    _, first = await staff(runtime, StaffRole.emergency_agent)
    _, second = await staff(runtime, StaffRole.emergency_agent)
    _, supervisor = await staff(runtime, StaffRole.supervisor)
    (case,) = (await client.get(CASES, headers=first)).json()
    url = f"{CASES}/{case['id']}"

    before = (await client.get(url, headers=first)).json()
    assert before["vin"] is None
    assert before["primary_account"] is None
    labels = [item["label"] for item in before["data_set"]]
    assert "Position" in labels
    assert "Passengers" in labels

    taken = (await client.post(f"{url}/take", headers=first)).json()
    assert taken["vin"] == car.vin
    assert taken["primary_account"]["email"] == car.owner.email
    assert taken["taken_by_me"] is True

    other = await client.post(f"{url}/take", headers=second)
    assert (other.status_code, other.json()["code"]) == (409, "safety_case_taken")
    assert (await client.get(url, headers=second)).json()["primary_account"] is None
    moved = (await client.post(f"{url}/take", headers=supervisor)).json()
    assert moved["taken_by_me"] is True
    assert (await client.get(url, headers=first)).json()["primary_account"] is None


async def test_no_answer_the_agent_dispatches_then_closes(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    incident = uuid.uuid4()
    await car.emergency(incident, at=clock.now(), sensor="impact")
    await car.event("emergency_voice", at=clock.now(), incident_id=str(incident), occupant="silent")
    _, headers = await staff(runtime, StaffRole.emergency_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    url = f"{CASES}/{case['id']}"

    not_yet = await client.post(f"{url}/dispatch", json={"service": "ambulance"}, headers=headers)
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "safety_case_not_taken")
    await client.post(f"{url}/take", headers=headers)
    sent = await client.post(f"{url}/dispatch", json={"service": "ambulance"}, headers=headers)
    assert sent.status_code == 200
    assert sent.json()["occupant"] == "silent"
    assert [d["service"] for d in sent.json()["dispatched"]] == ["ambulance"]
    accidental = await client.post(f"{url}/accidental", headers=headers)
    assert (accidental.status_code, accidental.json()["code"]) == (
        409,
        "safety_already_dispatched",
    )
    closed = await client.post(
        f"{url}/close", json={"outcome": "no_answer_dispatched"}, headers=headers
    )
    assert closed.json()["state"] == "closed"
    assert closed.json()["primary_account"] is None  # closed: no longer needed to know
    queue = (await client.get(CASES, headers=headers)).json()
    assert queue == []
    history = (await client.get(CASES, params={"closed": "true"}, headers=headers)).json()
    assert [c["id"] for c in history] == [case["id"]]


async def test_an_accidental_press_is_closed_without_dispatch(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.emergency(uuid.uuid4(), at=clock.now())
    _, headers = await staff(runtime, StaffRole.emergency_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    url = f"{CASES}/{case['id']}"
    await client.post(f"{url}/take", headers=headers)
    done = (await client.post(f"{url}/accidental", headers=headers)).json()
    assert (done["state"], done["outcome"], done["dispatched"]) == ("closed", "accidental", [])
    again = await client.post(f"{url}/dispatch", json={"service": "police"}, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "safety_case_closed")

    events = await client.get(
        f"/api/v1/vehicles/{car.vin}/safety/events", headers=await car.owner_headers()
    )
    (event,) = events.json()
    assert event["title"] == "SOS call"
    assert event["outcome"] == "Pressed by accident: no help was needed."
    assert "latitude" not in event


async def test_other_roles_and_owners_cannot_reach_the_cases(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.emergency(uuid.uuid4(), at=clock.now())
    _, emergency = await staff(runtime, StaffRole.emergency_agent)
    (case,) = (await client.get(CASES, headers=emergency)).json()
    url = f"{CASES}/{case['id']}"
    _, svt = await staff(runtime, StaffRole.svt_agent)
    assert (await client.get(CASES, headers=svt)).json() == []
    missing = await client.get(url, headers=svt)
    unknown = await client.get(f"{CASES}/{uuid.uuid4()}", headers=svt)
    assert missing.status_code == unknown.status_code == 404
    assert missing.json()["detail"] == unknown.json()["detail"]
    _, dealer = await staff(runtime, StaffRole.dealer)
    assert (await client.get(url, headers=dealer)).status_code == 403
    assert (await client.get(url, headers=await car.owner_headers())).status_code == 404


async def test_every_look_and_action_is_audited(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.emergency(uuid.uuid4(), at=clock.now())
    agent, headers = await staff(runtime, StaffRole.emergency_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    url = f"{CASES}/{case['id']}"
    await client.get(url, headers=headers)
    await client.post(f"{url}/take", headers=headers)
    await client.post(f"{url}/dispatch", json={"service": "police"}, headers=headers)
    async with runtime.db.transaction() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_id == case["id"], AuditEntry.actor_id == str(agent.id))
                .order_by(AuditEntry.id)
            )
        ).all()
    assert actions == ["safety.viewed", "safety.taken", "safety.dispatched"]


async def test_the_owner_is_told_of_an_emergency_call(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.emergency(uuid.uuid4(), at=clock.now(), sensor="airbag")
    await run_jobs(runtime)
    inbox = await client.get("/api/v1/notifications", headers=await car.owner_headers())
    titles = [n["title"] for n in inbox.json()["items"]]
    assert "Your car reported a collision" in titles


async def test_during_an_emergency_positions_are_kept_for_the_case_even_in_privacy_mode(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """Location only for the purpose: with privacy mode on nothing of a position is kept,
    except while an emergency case is open, and then only for that case's agents."""
    car = await safety_car(runtime, client)
    await car.event("privacy_mode_changed", at=clock.now(), location_sharing=False)
    clock.advance(seconds=30)
    await car.position(50.1, 4.1, at=clock.now())  # before: dropped
    clock.advance(seconds=30)
    await car.emergency(uuid.uuid4(), at=clock.now(), sensor="airbag")
    clock.advance(seconds=30)
    await car.position(50.2, 4.2, at=clock.now())  # during: the case's
    _, headers = await staff(runtime, StaffRole.emergency_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    url = f"{CASES}/{case['id']}"
    await client.post(f"{url}/take", headers=headers)
    await client.post(f"{url}/close", json={"outcome": "assisted"}, headers=headers)
    clock.advance(seconds=30)
    await car.position(50.3, 4.3, at=clock.now())  # after: dropped again

    # The case is closed, so it is no longer the reason: the agent says why (issue 15).
    reason = {"reason": "emergency_response", "reason_text": "the closing report"}
    trail = (await client.get(f"{url}/positions", params=reason, headers=headers)).json()
    assert [(p["latitude"], p["longitude"]) for p in trail] == [(50.2, 4.2)]
    async with runtime.db.transaction() as session:
        shared = await session.scalar(select(func.count()).select_from(PositionFix))
    assert shared == 0
    where = await client.get(
        f"/api/v1/vehicles/{car.vin}/location", headers=await car.owner_headers()
    )
    assert where.json()["code"] == "location_not_shared"

"""Stolen-vehicle tracking through the API: the owner's report, the agent's checks, tracking
with signed commands, positions kept for the case only (privacy mode on or off), the owner's
location and remote control refused meanwhile, the police link, and the reactivation."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.models.notifications import OutboundEmail
from linkplus.models.privacy import LocationPurpose
from linkplus.models.twin import PositionFix
from linkplus.privacy import service as privacy
from linkplus.protocol.vehicle import Command
from linkplus.remote import signing
from linkplus.runtime import Runtime
from tests.remote.support import RecordingPublisher
from tests.safety.support import SafetyCar, safety_car, staff
from tests.support import DEFAULT_PASSWORD

CASES = "/api/v1/staff/safety/cases"


async def _tracked(
    runtime: Runtime, client: httpx.AsyncClient, car: SafetyCar
) -> tuple[str, dict[str, str], RecordingPublisher]:
    """Reported by the owner, checked and tracked by a stolen-vehicle agent."""
    publisher = RecordingPublisher()
    runtime.vehicle_link = publisher
    reported = await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "PV/2026/0471"},
        headers=await car.owner_headers(),
    )
    assert reported.status_code == 201, reported.text
    assert reported.json()["state"] == "reported"
    _, headers = await staff(runtime, StaffRole.svt_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    url = f"{CASES}/{case['id']}"
    await client.post(f"{url}/take", headers=headers)
    early = await client.post(f"{url}/tracking/start", headers=headers)
    assert (early.status_code, early.json()["code"]) == (409, "tracking_unavailable")
    checks = {"police_reference_confirmed": True, "identity_confirmed": True}
    checked = (await client.post(f"{url}/checks", json=checks, headers=headers)).json()
    assert checked["checks"]["service_active"] is True
    started = await client.post(f"{url}/tracking/start", headers=headers)
    assert started.status_code == 200, started.text
    assert started.json()["tracking"] == "active"
    return url, headers, publisher


async def test_tracking_starts_with_a_signed_command_and_stops_remote_and_location(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    _, _, publisher = await _tracked(runtime, client, car)
    ((vin, command),) = publisher.sent
    assert (vin, command.type, command.params["interval_s"]) == (car.vin, "tracking_start", 30)
    key = signing.command_key(runtime.settings, car.vin)
    verdict = signing.verify(key, command, car.vin, now=clock.now(), window=signing.ReplayWindow())
    assert verdict is signing.VerifyOutcome.ok

    owner = await car.owner_headers()
    lock = await client.post(
        f"/api/v1/vehicles/{car.vin}/commands", json={"type": "door-lock"}, headers=owner
    )
    assert (lock.status_code, lock.json()["code"]) == (409, "stolen_vehicle_tracking")
    where = await client.get(f"/api/v1/vehicles/{car.vin}/location", headers=owner)
    assert (where.status_code, where.json()["code"]) == (409, "vehicle_reported_stolen")
    status = (await client.get(f"/api/v1/vehicles/{car.vin}/safety", headers=owner)).json()
    assert status["theft"]["state"] == "tracking"


async def test_positions_while_tracking_go_to_the_case_only_whatever_the_privacy_mode(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.event("privacy_mode_changed", at=clock.now(), location_sharing=False)
    clock.advance(minutes=1)
    await car.position(50.10, 4.10, at=clock.now())  # before the theft: privacy mode keeps it out
    url, headers, _ = await _tracked(runtime, client, car)
    for step in range(3):
        clock.advance(seconds=30)
        await car.position(round(50.20 + step / 100, 2), 4.20, at=clock.now())

    trail = (await client.get(f"{url}/positions", headers=headers)).json()
    assert [p["latitude"] for p in trail] == [50.20, 50.21, 50.22]
    async with runtime.db.transaction() as session:
        kept = await session.scalar(select(func.count()).select_from(PositionFix))
    assert kept == 0  # nothing in the owner's position history, before or during

    csv_text = (await client.get(f"{url}/positions.csv", headers=headers)).text
    assert csv_text.splitlines()[0] == "time_utc,latitude,longitude,heading"
    assert len(csv_text.splitlines()) == 4
    link = (await client.post(f"{url}/police-links", json={"hours": 2}, headers=headers)).json()
    token = link["url"].rsplit("/", 1)[1]
    police = await client.get(f"/api/v1/police/{token}")
    assert [p["latitude"] for p in police.json()["positions"]] == [50.20, 50.21, 50.22]
    clock.advance(hours=2)
    expired = await client.get(f"/api/v1/police/{token}")
    assert (expired.status_code, expired.json()["code"]) == (404, "police_link_not_found")


async def test_a_flat_battery_pauses_tracking_and_power_resumes_it(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    url, headers, _ = await _tracked(runtime, client, car)
    await car.event("tracking_state", at=clock.now(), phase="paused", reason="battery_disconnected")
    assert (await client.get(url, headers=headers)).json()["tracking"] == "paused"
    clock.advance(minutes=5)  # the battery connected again
    await car.event("tracking_state", at=clock.now(), phase="active")
    assert (await client.get(url, headers=headers)).json()["tracking"] == "active"


async def test_after_recovery_the_owner_reactivates_with_password_and_code(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    url, headers, publisher = await _tracked(runtime, client, car)
    owner = await car.owner_headers()
    base = f"/api/v1/vehicles/{car.vin}/safety/reactivation"
    too_early = await client.post(base, json={"password": DEFAULT_PASSWORD}, headers=owner)
    assert (too_early.status_code, too_early.json()["code"]) == (409, "still_tracking")

    stopped = await client.post(
        f"{url}/tracking/stop", json={"ended_by": "police"}, headers=headers
    )
    assert (stopped.json()["tracking"], stopped.json()["tracking_ended_by"]) == ("ended", "police")
    assert publisher.last().type == "tracking_stop"
    assert (await client.get(f"/api/v1/vehicles/{car.vin}/safety", headers=owner)).json()["theft"][
        "can_reactivate"
    ]

    wrong = await client.post(base, json={"password": "not it at all"}, headers=owner)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_password")
    sent = await client.post(base, json={"password": DEFAULT_PASSWORD}, headers=owner)
    assert sent.status_code == 200, sent.text
    async with runtime.db.transaction() as session:
        mail = await session.scalar(
            select(OutboundEmail)
            .where(OutboundEmail.to_address == car.owner.email)
            .order_by(OutboundEmail.created_at.desc())
            .limit(1)
        )
    assert mail is not None
    code = re.search(r"\b(\d{6})\b", mail.text_body)
    assert code is not None
    other = "000000" if code.group(1) != "000000" else "111111"
    bad = await client.post(f"{base}/confirm", json={"code": other}, headers=owner)
    assert (bad.status_code, bad.json()["code"]) == (403, "wrong_code")
    done = await client.post(f"{base}/confirm", json={"code": code.group(1)}, headers=owner)
    assert done.status_code == 200, done.text
    assert done.json()["theft"] is None
    lock = await client.post(
        f"/api/v1/vehicles/{car.vin}/commands", json={"type": "door-lock"}, headers=owner
    )
    assert lock.json().get("code") != "stolen_vehicle_tracking"
    events = (await client.get(f"/api/v1/vehicles/{car.vin}/safety/events", headers=owner)).json()
    assert [(e["kind"], e["outcome"]) for e in events] == [
        ("theft", "The car was recovered and its services reactivated.")
    ]
    clock.advance(minutes=1)
    await car.position(50.3, 4.3, at=clock.now())  # after reactivation: the privacy mode decides
    async with runtime.db.transaction() as session:
        kept = await session.scalar(select(func.count()).select_from(PositionFix))
    assert kept == 1


async def test_a_theft_reported_by_phone_finds_the_car_by_plate_or_says_what_to_check(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await safety_car(runtime, client)
    _, headers = await staff(runtime, StaffRole.svt_agent)
    missing = await client.post(
        "/api/v1/staff/safety/thefts",
        json={"plate": "ZZ 999 ZZ", "police_reference": "4711-2026"},
        headers=headers,
    )
    assert (missing.status_code, missing.json()["code"]) == (409, "theft_check_failed")
    both = await client.post(
        "/api/v1/staff/safety/thefts",
        json={"vin": car.vin, "plate": "X", "police_reference": "4711-2026"},
        headers=headers,
    )
    assert both.status_code == 422
    opened = await client.post(
        "/api/v1/staff/safety/thefts",
        json={"vin": car.vin, "police_reference": "4711-2026"},
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    assert (opened.json()["state"], opened.json()["reported_via"]) == ("taken", "phone")
    twice = await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "4711-2026"},
        headers=await car.owner_headers(),
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "theft_already_reported")


async def test_only_dealers_and_agents_switch_the_safety_features_off(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await safety_car(runtime, client)
    url = f"/api/v1/staff/vehicles/{car.vin}/safety-features"
    body = {"enabled": False, "reason": "Unit replaced at the workshop"}
    owner = await client.put(url, json=body, headers=await car.owner_headers())
    assert owner.status_code in (401, 403, 404)
    _, emergency = await staff(runtime, StaffRole.emergency_agent)
    assert (await client.put(url, json=body, headers=emergency)).status_code == 403
    _, dealer = await staff(runtime, StaffRole.dealer)
    off = await client.put(url, json=body, headers=dealer)
    assert off.status_code == 200
    assert off.json()["features_on"] is False
    status = (
        await client.get(f"/api/v1/vehicles/{car.vin}/safety", headers=await car.owner_headers())
    ).json()
    assert status["features_on"] is False
    assert all(not s["active"] for s in status["services"])


async def test_tracking_needs_the_broker_and_changes_nothing_without_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await safety_car(runtime, client)
    publisher = RecordingPublisher(fail=True)
    await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "PV/2026/0471"},
        headers=await car.owner_headers(),
    )
    runtime.vehicle_link = publisher
    _, headers = await staff(runtime, StaffRole.svt_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    url = f"{CASES}/{case['id']}"
    await client.post(f"{url}/take", headers=headers)
    checks = {"police_reference_confirmed": True, "identity_confirmed": True}
    await client.post(f"{url}/checks", json=checks, headers=headers)
    refused = await client.post(f"{url}/tracking/start", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (503, "vehicle_link_unavailable")
    assert (await client.get(url, headers=headers)).json()["tracking"] == "none"
    owner = await car.owner_headers()
    lock = await client.post(
        f"/api/v1/vehicles/{car.vin}/commands", json={"type": "door-lock"}, headers=owner
    )
    assert lock.json().get("code") != "stolen_vehicle_tracking"


async def test_the_cases_location_hold_is_committed_before_the_start_leaves(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The car's first tracking position can reach the gateway before the agent's request
    commits: the hold must already be visible to another transaction when the command is
    published, or that position is handled as an ordinary one (kept from the case, or stored
    for the owner). A start the broker refuses leaves no hold that covers anything."""
    seen: list[bool] = []

    @dataclass
    class LooksForTheHold(RecordingPublisher):
        async def publish_command(self, vin: str, command: Command) -> None:
            async with runtime.db.read() as other:
                hold = await privacy.held_for(
                    other, vin=vin, purpose=LocationPurpose.theft, at=runtime.clock.now()
                )
            seen.append(hold is not None)
            await super().publish_command(vin, command)

    car = await safety_car(runtime, client)
    failing = LooksForTheHold(fail=True)
    await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "PV/2026/0471"},
        headers=await car.owner_headers(),
    )
    _, headers = await staff(runtime, StaffRole.svt_agent)
    (case,) = (await client.get(CASES, headers=headers)).json()
    url = f"{CASES}/{case['id']}"
    await client.post(f"{url}/take", headers=headers)
    checks = {"police_reference_confirmed": True, "identity_confirmed": True}
    await client.post(f"{url}/checks", json=checks, headers=headers)

    runtime.vehicle_link = failing
    refused = await client.post(f"{url}/tracking/start", headers=headers)
    assert refused.status_code == 503, refused.text
    async with runtime.db.read() as session:
        after_refusal = await privacy.held_for(
            session, vin=car.vin, purpose=LocationPurpose.theft, at=runtime.clock.now()
        )
    assert after_refusal is None  # the car never got the start: nothing is held for it

    publisher = LooksForTheHold()
    runtime.vehicle_link = publisher
    started = await client.post(f"{url}/tracking/start", headers=headers)
    assert started.status_code == 200, started.text
    assert len(publisher.sent) == 1
    assert seen == [True, True]

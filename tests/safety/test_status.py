"""The emergency system's light as the owner sees it, and the safety services always active."""

from __future__ import annotations

from datetime import timedelta

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from tests.safety.support import safety_car


async def test_the_owner_sees_the_light_and_a_red_one_sends_them_to_the_dealer(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    url = f"/api/v1/vehicles/{car.vin}/safety"
    headers = await car.owner_headers()
    unknown = (await client.get(url, headers=headers)).json()
    assert (unknown["light"], unknown["see_dealer"]) == (None, False)
    assert [(s["code"], s["active"]) for s in unknown["services"]] == [
        ("sos", True),
        ("automatic_collision_notification", True),
        ("stolen_vehicle_tracking", True),
    ]

    await car.event("emergency_system_status", at=clock.now(), light="self_test")
    clock.advance(seconds=5)
    await car.event("emergency_system_status", at=clock.now(), light="fault")
    await car.event(  # a late report of the self-test does not hide the fault
        "emergency_system_status", at=clock.now() - timedelta(seconds=3), light="working"
    )
    status = (await client.get(url, headers=headers)).json()
    assert (status["light"], status["see_dealer"]) == ("fault", True)
    assert "see your dealer" in status["light_meaning"]

    clock.advance(minutes=1)
    await car.event("emergency_system_status", at=clock.now(), light="working")
    status = (await client.get(url, headers=headers)).json()
    assert (status["light"], status["see_dealer"]) == ("working", False)
    assert status["light_meaning"].startswith("Solid green")


async def test_privacy_mode_does_not_switch_the_safety_services_off(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    await car.event("privacy_mode_changed", at=clock.now(), location_sharing=False)
    status = (
        await client.get(f"/api/v1/vehicles/{car.vin}/safety", headers=await car.owner_headers())
    ).json()
    assert all(service["active"] for service in status["services"])

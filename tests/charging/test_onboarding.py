"""Adding a charger with the identity and activation code on its label, the cars it charges,
who may see it, and its weekly windows (through the API, on both databases)."""

from __future__ import annotations

import httpx

from linkplus.runtime import Runtime
from tests.charging.support import (
    HYBRID,
    PHEV,
    factory_charger,
    onboard,
    plug_in_owner,
)
from tests.garage.support import make_car


def _without_instance(body: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in body.items() if k != "instance"}


async def test_the_label_onboards_a_charger_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await plug_in_owner(runtime, client)
    label = await factory_charger(runtime, "WALLBOX-7")

    wrong_code = await onboard(client, owner, label, activation_code="AAAA-BBBB-CCCC-DDDD")
    unknown = await onboard(client, owner, label, identity="WALLBOX-8")
    assert wrong_code.status_code == unknown.status_code == 404
    assert wrong_code.json() == unknown.json()
    assert wrong_code.json()["code"] == "charger_activation_refused"

    # Typed as people type: lower case, spaces instead of dashes.
    typed = label.activation_code.lower().replace("-", " ")
    added = await onboard(client, owner, label, activation_code=typed, name="Garage")
    assert added.status_code == 201, added.text
    body = added.json()
    assert len(body["password"]) >= 16
    assert body["charger"]["vins"] == [owner.car.vin]
    assert body["charger"]["name"] == "Garage"
    assert body["charger"]["price_per_kwh"] == "0.3150"

    other = await plug_in_owner(runtime, client)
    taken = await onboard(client, other, label)
    assert taken.status_code == 409
    assert taken.json()["code"] == "charger_already_onboarded"

    listed = await client.get("/api/v1/chargers", headers=owner.headers)
    assert [c["identity"] for c in listed.json()] == ["WALLBOX-7"]
    assert (await client.get("/api/v1/chargers", headers=other.headers)).json() == []


async def test_only_the_owners_plug_in_cars_can_be_linked(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await plug_in_owner(runtime, client, model=PHEV)
    label = await factory_charger(runtime, "PORCH")
    stranger_car = await make_car(runtime, model_code=PHEV)
    not_theirs = await onboard(client, owner, label, vins=[stranger_car.vin])
    assert not_theirs.status_code == 404
    assert not_theirs.json()["code"] == "vehicle_not_found"

    hybrid = await plug_in_owner(runtime, client, model=HYBRID)
    refused = await onboard(client, hybrid, label)
    assert refused.status_code == 422
    assert refused.json()["code"] == "car_not_chargeable"

    extra = await onboard(client, owner, label, account_id="someone")
    assert extra.status_code == 422
    # Nothing was half-written: the label still onboards it.
    assert (await onboard(client, owner, label)).status_code == 201


async def test_another_account_gets_the_same_404_as_for_no_charger(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await plug_in_owner(runtime, client)
    label = await factory_charger(runtime, "SHED")
    assert (await onboard(client, owner, label)).status_code == 201
    other = await plug_in_owner(runtime, client)
    window = {"start_time": {"hour": 1, "minute": 0}, "days_of_the_week": ["MONDAY"]}
    requests = [
        ("GET", "", None),
        ("PATCH", "", {"name": "Mine"}),
        ("DELETE", "", None),
        ("POST", "/password", None),
        ("POST", "/sessions", {}),
        ("GET", "/sessions", None),
        ("GET", "/sessions.csv", None),
        ("GET", "/sessions/2f26c810-dc80-43f6-a213-5e57a44ae5a6", None),
        ("POST", "/sessions/2f26c810-dc80-43f6-a213-5e57a44ae5a6/stop", None),
        ("GET", "/commands/2f26c810-dc80-43f6-a213-5e57a44ae5a6", None),
        ("GET", "/windows", None),
        ("PUT", "/windows/1", window),
        ("DELETE", "/windows/1", None),
    ]
    for method, tail, body in requests:
        theirs = await client.request(
            method, f"/api/v1/chargers/SHED{tail}", json=body, headers=other.headers
        )
        nobody = await client.request(
            method, f"/api/v1/chargers/NO-SUCH{tail}", json=body, headers=other.headers
        )
        assert theirs.status_code == nobody.status_code == 404, (method, tail, theirs.text)
        assert _without_instance(theirs.json()) == _without_instance(nobody.json())
    # And the owner's charger is untouched.
    mine = await client.get("/api/v1/chargers/SHED", headers=owner.headers)
    assert mine.status_code == 200
    assert mine.json()["name"] is None


async def test_changing_price_cars_and_weekly_windows(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await plug_in_owner(runtime, client)
    second = await make_car(runtime, model_code=PHEV)
    added = await client.post(
        "/api/v1/garage/vehicles",
        json={"vin": second.vin, "odometer_km": second.odometer_km},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    label = await factory_charger(runtime, "DRIVE")
    assert (await onboard(client, owner, label)).status_code == 201
    path = "/api/v1/chargers/DRIVE"

    changed = await client.patch(
        path,
        json={"price_per_kwh": "0.2899", "vins": [owner.car.vin, second.vin]},
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["price_per_kwh"] == "0.2899"
    assert changed.json()["vins"] == sorted([owner.car.vin, second.vin])
    bad_price = await client.patch(path, json={"price_per_kwh": "0,29"}, headers=owner.headers)
    assert bad_price.status_code == 422

    night = {
        "enabled": True,
        "start_time": {"hour": 23, "minute": 30},
        "end_time": {"hour": 6, "minute": 0},
        "days_of_the_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
    }
    created = await client.put(f"{path}/windows/1", json=night, headers=owner.headers)
    assert created.status_code == 201, created.text
    start_only = {"start_time": {"hour": 9, "minute": 0}, "days_of_the_week": ["SATURDAY"]}
    assert (
        await client.put(f"{path}/windows/2", json=start_only, headers=owner.headers)
    ).status_code == 201
    replaced = await client.put(
        f"{path}/windows/1", json={**night, "enabled": False}, headers=owner.headers
    )
    assert replaced.status_code == 200
    listed = (await client.get(f"{path}/windows", headers=owner.headers)).json()
    assert listed == [
        {**night, "id": 1, "enabled": False},
        {
            "id": 2,
            "enabled": True,
            "start_time": {"hour": 9, "minute": 0},
            "end_time": None,
            "days_of_the_week": ["SATURDAY"],
        },
    ]
    twice = {**start_only, "days_of_the_week": ["SATURDAY", "SATURDAY"]}
    assert (
        await client.put(f"{path}/windows/3", json=twice, headers=owner.headers)
    ).status_code == 422
    assert (
        await client.put(f"{path}/windows/11", json=start_only, headers=owner.headers)
    ).status_code == 422
    late = {**start_only, "start_time": {"hour": 24, "minute": 0}}
    assert (
        await client.put(f"{path}/windows/3", json=late, headers=owner.headers)
    ).status_code == 422
    assert (await client.delete(f"{path}/windows/2", headers=owner.headers)).status_code == 204
    gone = await client.delete(f"{path}/windows/2", headers=owner.headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "charging_window_not_found"

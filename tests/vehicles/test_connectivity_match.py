"""The public Connectivity Match: what a VIN's model supports in its market, nothing personal."""

from __future__ import annotations

import httpx
import pytest

from linkplus.runtime import Runtime
from tests.vehicles.support import european_vin, make_vehicle, north_american_vin

URL = "/api/v1/connectivity-match/{}"


async def test_a_known_vin_shows_the_model_and_its_capabilities_without_sign_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    car = await make_vehicle(
        runtime, model_code="NX450HP", market="FR", plate="AB-123-CD", odometer_km=4200
    )
    response = await client.get(URL.format(f" {car.vin.lower()} "))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["vin"] == car.vin
    assert (body["brand"], body["model_code"], body["model_name"]) == (
        "Lexus",
        "NX450HP",
        "Lexus NX 450h+",
    )
    assert (body["powertrain"], body["powertrain_label"]) == ("phev", "Plug-in hybrid (PHEV)")
    assert (body["multimedia"], body["multimedia_label"]) == ("mm21", "MM21 Smart Connect")
    assert body["market"] == "FR"
    assert body["telematics_unit"] is True
    capabilities = {item["code"]: item["label"] for item in body["capabilities"]}
    assert capabilities["charging"] == "Charging"
    assert capabilities["remote_climate_basic"] == "Remote climate"
    assert "digital_key" in capabilities
    assert "engine_start" not in capabilities
    assert body["remote_climate"] == {"minutes": 20, "renewals": 2, "min_battery_pct": 30}
    # No personal data: no plate, no odometer, no dates, no owner.
    text = response.text
    assert "AB-123-CD" not in text
    assert "4200" not in text
    assert "2024-03-01" not in text
    assert set(body) == {
        "vin", "brand", "model_code", "model_name", "powertrain", "powertrain_label",
        "multimedia", "multimedia_label", "market", "telematics_unit", "capabilities",
        "remote_climate",
    }  # fmt: skip


@pytest.mark.parametrize("market", ["AT", "DE"])
async def test_basic_climate_is_not_offered_for_hybrids_in_austria_and_germany(
    client: httpx.AsyncClient, runtime: Runtime, market: str
) -> None:
    car = await make_vehicle(runtime, model_code="UX250H", market=market, multimedia="mm18")
    body = (await client.get(URL.format(car.vin))).json()
    codes = [item["code"] for item in body["capabilities"]]
    assert "remote_climate_basic" not in codes
    assert "remote_lock_unlock" in codes
    assert body["remote_climate"] is None


async def test_a_car_without_a_telematics_unit_supports_no_connected_service(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    car = await make_vehicle(runtime, model_code="ES300H", multimedia="mm18", telematics_unit=False)
    body = (await client.get(URL.format(car.vin))).json()
    assert body["telematics_unit"] is False
    assert body["capabilities"] == []
    assert body["remote_climate"] is None


async def test_unknown_vins_all_get_the_same_404(client: httpx.AsyncClient) -> None:
    first = await client.get(URL.format(european_vin()))
    second = await client.get(URL.format(north_american_vin()))
    assert first.status_code == second.status_code == 404
    assert first.headers["content-type"] == "application/problem+json"
    one, two = first.json(), second.json()
    assert one["code"] == "vehicle_not_found"
    assert {k: v for k, v in one.items() if k != "instance"} == {
        k: v for k, v in two.items() if k != "instance"
    }


@pytest.mark.parametrize(
    ("vin", "reason"),
    [
        ("JTHBA3BH40204935", "exactly 17 characters; this one has 16"),
        ("JTHBA3BH4O2049357", "never contain I, O or Q"),
        ("1M8GDM9AXKP042789", "check digit"),
    ],
)
async def test_a_malformed_vin_says_what_is_wrong(
    client: httpx.AsyncClient, vin: str, reason: str
) -> None:
    response = await client.get(URL.format(vin))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_vin"
    assert reason in body["detail"]

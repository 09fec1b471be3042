"""The Connected Services Centre: states per car, activation with acceptance, deactivation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from linkplus.audit import service as audit
from linkplus.connected_services import service
from linkplus.connected_services.errors import UnknownService
from linkplus.kit.clock import ManualClock
from linkplus.models.garage import PrimaryAccount
from linkplus.runtime import Runtime
from tests.connected_services.support import (
    ACCEPT_DE,
    activate,
    link,
    owner,
    primary_owner_of_new_car,
    states,
)
from tests.support import bearer_for


def _services(vin: str, tail: str = "") -> str:
    return f"/api/v1/vehicles/{vin}/services{tail}"


async def _is_active(runtime: Runtime, vin: str, name: str) -> bool:
    async with runtime.db.transaction() as session:
        return await service.is_active(session, runtime, vin=vin, service=name)


async def test_centre_lists_every_service_with_availability_and_state(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime, model_code="UX250H", multimedia="mm18")
    centre = (await client.get(_services(vin), headers=me.headers)).json()
    assert centre["vin"] == vin
    assert centre["terms_accepted"] is False
    assert centre["current_versions"] == ACCEPT_DE
    by_code = {s["service"]: s for s in centre["services"]}
    climate = by_code["remote_climate_basic"]
    assert (climate["state"], climate["reason"]) == ("not_available", "market_restricted")
    assert "Germany" in climate["message"]
    assert by_code["remote_lock_unlock"]["state"] == "inactive"
    assert by_code["remote_lock_unlock"]["switchable"] is True
    assert by_code["remote_lock_unlock"]["complimentary_until"] == "2034-03-01"  # 10 years
    assert by_code["sos"]["state"] == "active"
    assert by_code["sos"]["switchable"] is False
    assert by_code["cloud_navigation"]["reason"] == "multimedia_not_supported"
    assert by_code["map_updates"]["state"] == "paid_package"
    assert "subscription" in by_code["map_updates"]["message"]
    assert by_code["hybrid_coaching"]["state"] == "inactive"
    assert by_code["ev_coaching"]["reason"] == "powertrain_not_supported"


async def test_activation_accepts_the_documents_in_the_same_request(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)  # NX450HP, MM21, delivered 2024-03-01
    done = await activate(client, me, vin, accept=ACCEPT_DE)
    assert done.status_code == 200, done.text
    centre = done.json()
    assert centre["terms_accepted"] is True
    lock = next(s for s in centre["services"] if s["service"] == "remote_lock_unlock")
    assert lock["state"] == "active"
    assert lock["started_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert lock["ends_at"] == "2028-03-01T00:00:00Z"  # four years from first delivery (MM21)
    assert states(centre)["stolen_vehicle_tracking"] == "inactive"  # only standard was asked for
    assert states(centre)["remote_climate_basic"] == "active"  # plug-in hybrid in Germany

    history = (await client.get("/api/v1/privacy/consents", headers=me.headers)).json()
    assert sorted((c["document"], c["version"], c["channel"]) for c in history) == [
        ("privacy_notice", "1.0", "app"),
        ("terms_of_use", "2.0", "app"),
    ]
    assert await _is_active(runtime, vin, "remote_lock_unlock")
    assert await _is_active(runtime, vin, "standard")
    assert not await _is_active(runtime, vin, "stolen_vehicle_tracking")
    assert not await _is_active(runtime, vin, "digital_key")  # paid: issue 7
    assert await _is_active(runtime, vin, "sos")  # safety is always on
    with pytest.raises(UnknownService):
        await _is_active(runtime, vin, "teleportation")

    async with runtime.db.transaction() as session:
        [entry] = await audit.entries_for(session, action="services.activated")
    assert (entry.actor_id, entry.subject_id) == (str(me.account.id), vin)
    assert entry.details == {"packages": ["standard"], "channel": "app"}

    # Activating again is harmless and keeps the original start.
    clock.advance(minutes=5)
    again = await activate(client, me, vin, packages=["standard", "svt"])
    assert again.status_code == 200
    lock_again = next(s for s in again.json()["services"] if s["service"] == "remote_lock_unlock")
    assert lock_again["started_at"] == lock["started_at"]
    assert states(again.json())["stolen_vehicle_tracking"] == "active"


async def test_activation_without_acceptance_names_the_current_versions(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    refused = await activate(client, me, vin)
    assert refused.status_code == 409
    assert refused.json()["code"] == "terms_not_accepted"
    assert refused.json()["current_versions"] == ACCEPT_DE
    assert "2.0" in refused.json()["detail"]

    half = await activate(client, me, vin, accept={"terms_of_use": "2.0"})
    assert half.status_code == 409
    assert half.json()["code"] == "terms_not_accepted"
    # The refused request left no acceptance behind: it was one transaction.
    assert (await client.get("/api/v1/privacy/consents", headers=me.headers)).json() == []
    assert not await _is_active(runtime, vin, "standard")


async def test_outdated_version_in_the_activation_is_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    refused = await activate(
        client, me, vin, accept={"terms_of_use": "1.0", "privacy_notice": "1.0"}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "terms_not_accepted"
    assert refused.json()["current_versions"]["terms_of_use"] == "2.0"
    assert (await client.get("/api/v1/privacy/consents", headers=me.headers)).json() == []


async def test_already_accepted_documents_need_not_be_sent_again(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    for document, version in ACCEPT_DE.items():
        await client.post(
            "/api/v1/privacy/consents",
            json={"document": document, "version": version},
            headers=me.headers,
        )
    done = await activate(client, me, vin)
    assert done.status_code == 200
    assert states(done.json())["vehicle_status"] == "active"


async def test_only_standard_and_svt_can_be_activated_here(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    for package in ("remote", "smart", "map_care", "service_pack", "safety"):
        refused = await activate(client, me, vin, packages=[package], accept=ACCEPT_DE)
        assert refused.status_code == 409, package
        assert refused.json()["code"] == "package_not_activatable"
        assert refused.json()["package"] == package
    unknown = await activate(client, me, vin, packages=["gold"], accept=ACCEPT_DE)
    assert unknown.status_code == 422
    extra = await activate(client, me, vin, accept=ACCEPT_DE, started_at="2020-01-01")
    assert extra.status_code == 422
    assert (await client.get("/api/v1/privacy/consents", headers=me.headers)).json() == []


async def test_an_ordered_car_cannot_be_activated_yet(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime, first_delivery_date=None)
    centre = (await client.get(_services(vin), headers=me.headers)).json()
    assert set(states(centre).values()) == {"not_available"}
    refused = await activate(client, me, vin, accept=ACCEPT_DE)
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["reason"]) == (
        "package_not_available",
        "not_delivered",
    )


async def test_complimentary_period_passes_to_the_next_owner_and_then_expires(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    # Delivered three years before today, with MM21: one year of standard services left.
    delivered = date(2023, 11, 21)
    me, vin = await primary_owner_of_new_car(runtime, first_delivery_date=delivered)
    centre = (await activate(client, me, vin, packages=["standard"], accept=ACCEPT_DE)).json()
    lock = next(s for s in centre["services"] if s["service"] == "remote_lock_unlock")
    assert lock["ends_at"] == "2027-11-21T00:00:00Z"
    svt = await activate(client, me, vin, packages=["svt"])
    assert svt.status_code == 409
    assert (svt.json()["code"], svt.json()["ended_on"]) == (
        "complimentary_period_over",
        "2026-11-21",
    )
    assert states(centre)["stolen_vehicle_tracking"] == "expired"

    end = datetime(2027, 11, 21, tzinfo=UTC)
    clock.set(end - timedelta(microseconds=1))
    assert await _is_active(runtime, vin, "remote_lock_unlock")
    clock.set(end)
    assert not await _is_active(runtime, vin, "remote_lock_unlock")
    me.headers = await bearer_for(runtime, me.account)
    expired = (await client.get(_services(vin), headers=me.headers)).json()
    assert states(expired)["remote_lock_unlock"] == "expired"
    assert "2027-11-21" in next(
        s["message"] for s in expired["services"] if s["service"] == "remote_lock_unlock"
    )


async def test_deactivating_stops_the_services(runtime: Runtime, client: httpx.AsyncClient) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    await activate(client, me, vin, packages=["standard", "svt"], accept=ACCEPT_DE)
    stopped = await client.post(
        _services(vin, "/deactivate"), json={"packages": ["svt"]}, headers=me.headers
    )
    assert stopped.status_code == 200
    assert states(stopped.json())["stolen_vehicle_tracking"] == "inactive"
    assert states(stopped.json())["remote_lock_unlock"] == "active"
    everything = await client.post(_services(vin, "/deactivate"), headers=me.headers)
    assert states(everything.json())["remote_lock_unlock"] == "inactive"
    assert not await _is_active(runtime, vin, "remote_lock_unlock")
    not_switchable = await client.post(
        _services(vin, "/deactivate"), json={"packages": ["safety"]}, headers=me.headers
    )
    assert not_switchable.status_code == 409
    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, action="services.deactivated")
    assert [e.details for e in entries] == [
        {"packages": ["standard"], "reason": "owner"},
        {"packages": ["svt"], "reason": "owner"},
    ]
    # And they can be activated again.
    back = await activate(client, me, vin)
    assert states(back.json())["remote_lock_unlock"] == "active"


async def test_secondary_account_gets_403_and_strangers_404_on_every_route(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _me, vin = await primary_owner_of_new_car(runtime)
    family = await owner(runtime)
    await link(runtime, family.account, vin, primary=False)
    stranger = await owner(runtime)
    routes = [
        ("GET", "", None),
        ("POST", "/activate", {"accept": ACCEPT_DE}),
        ("POST", "/deactivate", None),
    ]
    for method, tail, body in routes:
        secondary = await client.request(
            method, _services(vin, tail), json=body, headers=family.headers
        )
        assert secondary.status_code == 403, tail
        assert secondary.json()["code"] == "not_primary_account"
        theirs = await client.request(
            method, _services(vin, tail), json=body, headers=stranger.headers
        )
        unknown = await client.request(
            method, _services("JTHAAAAAAAAAAAAAA", tail), json=body, headers=stranger.headers
        )
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json()["code"] == unknown.json()["code"] == "vehicle_not_found"
        assert theirs.json()["detail"] == unknown.json()["detail"]
    assert (await client.get("/api/v1/privacy/consents", headers=family.headers)).json() == []
    assert not await _is_active(runtime, vin, "standard")


async def test_is_active_counts_only_the_current_primary_account(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    await activate(client, me, vin, accept=ACCEPT_DE)
    assert await _is_active(runtime, vin, "standard")
    # The primary role moves (without waiting for any job): the old activation no longer counts.
    other = await owner(runtime)
    await link(runtime, other.account, vin, primary=False)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(PrimaryAccount)
            .where(PrimaryAccount.vin == vin)
            .values(account_id=other.account.id)
        )
    assert not await _is_active(runtime, vin, "standard")
    assert not await _is_active(runtime, "JTHAAAAAAAAAAAAAA", "standard")


async def test_climate_in_germany_is_never_active_for_a_hybrid(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime, model_code="UX300H")
    await activate(client, me, vin, accept=ACCEPT_DE)
    assert await _is_active(runtime, vin, "remote_lock_unlock")
    assert not await _is_active(runtime, vin, "remote_climate_basic")


async def test_the_centre_moves_with_the_clock(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    delivery = (clock.now() + timedelta(days=2)).date()
    me, vin = await primary_owner_of_new_car(runtime, first_delivery_date=delivery)
    assert (await activate(client, me, vin, accept=ACCEPT_DE)).json()["reason"] == "not_delivered"
    clock.advance(days=2)
    me.headers = await bearer_for(runtime, me.account)
    assert (await activate(client, me, vin, accept=ACCEPT_DE)).status_code == 200


async def test_the_garage_list_says_which_primary_cars_still_need_activating(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)

    def flag(listing: list[dict[str, object]]) -> object:
        return next(car["services_need_activation"] for car in listing if car["vin"] == vin)

    before = (await client.get("/api/v1/garage/vehicles", headers=me.headers)).json()
    assert flag(before) is True
    welcome = (await client.get("/api/v1/garage/welcome", headers=me.headers)).json()
    assert [car["vin"] for car in welcome] == [vin]

    assert (await activate(client, me, vin, accept=ACCEPT_DE)).status_code == 200
    after = (await client.get("/api/v1/garage/vehicles", headers=me.headers)).json()
    assert flag(after) is False
    assert (await client.get("/api/v1/garage/welcome", headers=me.headers)).json() == []

"""Dealer directory API (public) and the owner's preferred dealer."""

from __future__ import annotations

import httpx
import pytest

from linkplus.dealers import service
from linkplus.models.dealers import PreferredDealer
from linkplus.runtime import Runtime
from tests.support import bearer_for, make_owner


async def test_anyone_can_search_the_directory(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/dealers", params={"lat": 48.15, "lon": 11.6, "limit": 2})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == ["de-muc-1", "it-mil-1"]
    assert items[0]["distance_km"] < 5
    assert items[0]["phone"].startswith("+49")
    assert set(items[0]) >= {"name", "address", "city", "country", "lat", "lon", "email"}

    by_name = (await client.get("/api/v1/dealers", params={"name": "yarra"})).json()["items"]
    assert [(item["city"], item["distance_km"]) for item in by_name] == [("Melbourne", None)]
    by_country = (await client.get("/api/v1/dealers", params={"country": "fr"})).json()["items"]
    assert {item["country"] for item in by_country} == {"FR"}
    assert len(by_country) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "48.1"},
        {"lon": "11.5"},
        {"lat": "91", "lon": "0"},
        {"lat": "0", "lon": "181"},
        {"country": "DEU"},
        {"limit": "0"},
        {"limit": "101"},
        {"colour": "red"},
    ],
)
async def test_bad_search_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/api/v1/dealers", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


async def test_an_owner_chooses_and_changes_the_preferred_dealer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    auth = await bearer_for(runtime, owner)
    none_yet = await client.get("/api/v1/me/preferred-dealer", headers=auth)
    assert none_yet.status_code == 200
    assert none_yet.json() == {"dealer": None}

    chosen = await client.put(
        "/api/v1/me/preferred-dealer", json={"dealer_id": "gb-lon-1"}, headers=auth
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["dealer"]["name"] == "Thameside Prestige Motors"
    changed = await client.put(
        "/api/v1/me/preferred-dealer", json={"dealer_id": "nl-ams-1"}, headers=auth
    )
    assert changed.json()["dealer"]["id"] == "nl-ams-1"
    shown = await client.get("/api/v1/me/preferred-dealer", headers=auth)
    assert shown.json()["dealer"]["city"] == "Amsterdam"

    # Each owner has their own.
    other = await bearer_for(runtime, await make_owner(runtime))
    assert (await client.get("/api/v1/me/preferred-dealer", headers=other)).json() == {
        "dealer": None
    }
    async with runtime.db.transaction() as session:
        dealer = await service.preferred(session, account_id=owner.id)
    assert dealer is not None
    assert dealer.id == "nl-ams-1"


async def test_an_unknown_dealer_is_404_and_extra_fields_are_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    auth = await bearer_for(runtime, await make_owner(runtime))
    unknown = await client.put(
        "/api/v1/me/preferred-dealer", json={"dealer_id": "xx-nope-1"}, headers=auth
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "dealer_not_found"
    extra = await client.put(
        "/api/v1/me/preferred-dealer",
        json={"dealer_id": "gb-lon-1", "account_id": "someone-else"},
        headers=auth,
    )
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["field"].endswith("account_id")
    assert (await client.get("/api/v1/me/preferred-dealer", headers=auth)).json() == {
        "dealer": None
    }


async def test_the_preferred_dealer_needs_a_signed_in_confirmed_owner(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert (await client.get("/api/v1/me/preferred-dealer")).status_code == 401
    put = await client.put("/api/v1/me/preferred-dealer", json={"dealer_id": "gb-lon-1"})
    assert put.status_code == 401
    unconfirmed = await bearer_for(runtime, await make_owner(runtime, confirmed=False))
    response = await client.get("/api/v1/me/preferred-dealer", headers=unconfirmed)
    assert response.status_code == 403


async def test_a_dealer_that_left_the_directory_is_no_longer_shown(runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    async with runtime.db.transaction() as session:
        await service.set_preferred(session, account_id=owner.id, dealer_id="se-sto-1")
    async with runtime.db.transaction() as session:
        row = await session.get(PreferredDealer, owner.id)
        assert row is not None
        row.dealer_id = "closed-1"
    async with runtime.db.transaction() as session:
        assert await service.preferred(session, account_id=owner.id) is None

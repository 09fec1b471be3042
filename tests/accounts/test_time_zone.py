"""The owner's time zone: set at registration (the browser's, else the country's), read and
changed through /me, refused when it is not an IANA zone name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from linkplus.accounts.time_zones import zone_for_country, zone_names
from linkplus.jobs.worker import Worker
from tests.accounts.support import bearer, register, sign_in, signed_in, token_mailed_to
from tests.support import Mailbox


def test_a_countrys_default_zone_is_where_most_of_it_lives() -> None:
    assert zone_for_country("DE") == "Europe/Berlin"
    assert zone_for_country("be") == "Europe/Brussels"
    assert zone_for_country("US") == "America/New_York"
    assert zone_for_country("ES") == "Europe/Madrid"
    assert zone_for_country("AQ") in zone_names()
    assert zone_for_country("ZZ") == "UTC"


def test_only_region_city_names_and_utc_are_offered() -> None:
    names = zone_names()
    assert names[0] == "UTC"
    assert "Europe/Amsterdam" in names
    assert not {"CET", "US/Pacific", "localtime", "Factory", "Etc/GMT+5"} & set(names)


async def _me_after_registering(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, email: str, **body: Any
) -> dict[str, Any]:
    answer = await register(client, email, **body)
    assert answer.status_code == 202, answer.text
    token = await token_mailed_to(worker, mailbox, email)
    assert (await client.post("/api/v1/accounts/activate", json={"token": token})).is_success
    tokens = (await sign_in(client, email)).json()
    me: dict[str, Any] = (await client.get("/api/v1/me", headers=bearer(tokens))).json()
    return me


async def test_registration_keeps_the_browsers_zone(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    me = await _me_after_registering(
        client, worker, mailbox, "zone@example.com", time_zone="America/Toronto"
    )
    assert me["time_zone"] == "America/Toronto"


async def test_without_a_zone_registration_takes_the_countrys(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    me = await _me_after_registering(client, worker, mailbox, "nozone@example.com", country="NL")
    assert me["time_zone"] == "Europe/Amsterdam"


async def test_registration_refuses_a_zone_that_is_no_zone(client: httpx.AsyncClient) -> None:
    answer = await register(client, "badzone@example.com", time_zone="Mars/Olympus_Mons")
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.time_zone"]


async def test_the_owner_changes_the_zone_and_bad_values_change_nothing(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    tokens = await signed_in(client, worker, mailbox, "move@example.com")
    headers = bearer(tokens)
    assert (await client.get("/api/v1/me", headers=headers)).json()["time_zone"] == (
        "Europe/Berlin"
    )
    moved = await client.patch("/api/v1/me", json={"time_zone": "Asia/Tokyo"}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["time_zone"] == "Asia/Tokyo"
    for bad in ("CET", "Europe/Nowhere", "", None, "../../etc/passwd"):
        refused = await client.patch("/api/v1/me", json={"time_zone": bad}, headers=headers)
        assert refused.status_code == 422, bad
        assert [e["field"] for e in refused.json()["errors"]] == ["body.time_zone"]
    assert (await client.get("/api/v1/me", headers=headers)).json()["time_zone"] == "Asia/Tokyo"


@pytest.mark.parametrize("path", ["/api/v1/accounts", "/api/v1/me"])
async def test_the_openapi_lists_the_zones_it_accepts(client: httpx.AsyncClient, path: str) -> None:
    schema = (await client.get("/api/v1/openapi.json")).json()
    shapes = schema["components"]["schemas"]
    name = "RegistrationIn" if path == "/api/v1/accounts" else "ProfileUpdate"
    zone = shapes[name]["properties"]["time_zone"]
    choices = zone.get("enum") or next(c["enum"] for c in zone["anyOf"] if "enum" in c)
    assert "Europe/Paris" in choices
    assert "CET" not in choices

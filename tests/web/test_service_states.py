"""One truth about every connected service: the Connected Services Centre (page and API), the
subscriptions overview (page and API), the safety page's API and ``is_active`` (what every other
domain asks) agree on whether each service of each demo car's model works; and "Subscribe" is
offered only on what can be bought, never on a package that runs.

The case a new owner hit: stolen-vehicle tracking (complimentary, not switched on) was "Not
active" in the Centre but "Active, complimentary" in Subscriptions."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest

from linkplus.connected_services import service as connected_services
from linkplus.connected_services.catalogue import service_catalogue
from linkplus.demo import DEMO_CARS
from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.subscriptions import service as subscriptions
from tests.connected_services.support import ACCEPT_DE, link, make_vehicle
from tests.payments.support import add_card
from tests.support import DEFAULT_PASSWORD, bearer_for, make_owner
from tests.web.support import at, sign_in, text_of

RUNS = ("active", "cancelled")  # subscription lines whose service works today
SAFETY_CODES = {"automatic_collision_notification": "collision_notification"}


@pytest.fixture
def client(paying_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return paying_client  # a trial needs a card, and the payment sandbox is reached over HTTP


def _centre_page_states(html: str) -> dict[str, str]:
    """Service name -> the state the Centre's page shows for it."""
    found = re.findall(
        r'<span class="service-name">([^<]+)</span>\s*<span class="badge state-([a-z_]+)">', html
    )
    return dict(found)


def _overview_page_states(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="sub-([a-z_]+)">.*?class="badge state-([a-z_]+)"', html, re.S))


def _subscribe_links(html: str, vin: str) -> set[str]:
    # The owner of these tests reads German (the car's documents are the German edition).
    pattern = rf'href="/vehicle/{vin}/subscriptions/offers/([a-z_]+)">Abonnieren</a>'
    return set(re.findall(pattern, html))


async def _car(runtime: Runtime, client: httpx.AsyncClient, model_code: str) -> tuple[str, Any]:
    """A car of ``model_code``, delivered 7 months ago: standard activated (as the demo does),
    stolen-vehicle tracking left off, Remote Connect on its free trial."""
    account = await make_owner(runtime, language="de")
    vin = await make_vehicle(
        runtime, model_code=model_code, market="DE", first_delivery_date=date(2025, 6, 1)
    )
    await link(runtime, account, vin, primary=True)
    async with runtime.db.transaction() as session:
        # What the garage's PrimaryAccountChanged task does for a new primary account (``link``
        # writes the rows directly, without the event): the car's complimentary periods.
        await subscriptions.ensure_complimentary(session, runtime, vin=vin, account_id=account.id)
    headers = await bearer_for(runtime, account)
    activated = await client.post(
        f"/api/v1/vehicles/{vin}/services/activate",
        json={"packages": ["standard"], "accept": ACCEPT_DE},
        headers=headers,
    )
    assert activated.status_code == 200, activated.text
    added = await add_card(client, headers)
    assert added.status_code == 201, added.text
    trial = await client.post(
        f"/api/v1/vehicles/{vin}/subscriptions",
        json={
            "package": "remote",
            "plan": "monthly",
            "billing_address": {
                "name": "Erika Mustermann",
                "street": "Hauptstraße 1",
                "postcode": "10115",
                "city": "Berlin",
                "country": "DE",
            },
        },
        headers=headers,
    )
    assert trial.status_code == 201, trial.text
    await sign_in(client, account.email, DEFAULT_PASSWORD)
    return vin, headers


@pytest.mark.parametrize("model_code", sorted({spec.model_code for spec in DEMO_CARS}))
async def test_every_view_of_every_service_agrees(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, model_code: str
) -> None:
    clock.set(at(date(2026, 1, 5)))
    vin, headers = await _car(runtime, client, model_code)
    catalogue = service_catalogue()

    api = await client.get(f"/api/v1/vehicles/{vin}/services", headers=headers)
    assert api.status_code == 200, api.text
    api_states = {s["service"]: s["state"] for s in api.json()["services"]}
    assert set(api_states) == {s.code for s in catalogue.services}
    centre = await client.get(f"/vehicle/{vin}/services")
    assert centre.status_code == 200, centre.text
    page_states = _centre_page_states(centre.text)
    async with runtime.db.transaction() as session:
        domain = {
            s.code: await connected_services.is_active(session, runtime, vin=vin, service=s.code)
            for s in catalogue.services
        }
    for service in catalogue.services:
        state = api_states[service.code]
        assert page_states[service.name] == state, service.code
        assert domain[service.code] == (state == "active"), service.code

    package_runs = {
        code: any(api_states[s.code] == "active" for s in catalogue.services_of(code))
        for code in catalogue.packages
    }
    status = await client.get(f"/api/v1/vehicles/{vin}/subscriptions", headers=headers)
    assert status.status_code == 200, status.text
    lines = {line["package"]: line["state"] for line in status.json()["packages"]}
    overview = await client.get(f"/vehicle/{vin}/subscriptions")
    assert overview.status_code == 200, overview.text
    shown = _overview_page_states(overview.text)
    assert set(shown) == set(lines)
    for package, state in lines.items():
        assert (state in RUNS) == package_runs[package], (package, state)
        assert shown[package] == state, package

    safety = await client.get(f"/api/v1/vehicles/{vin}/safety", headers=headers)
    assert safety.status_code == 200, safety.text
    for item in safety.json()["services"]:
        code = SAFETY_CODES.get(item["code"], item["code"])
        assert item["active"] == (api_states[code] == "active"), item["code"]

    # The reported case, in words: tracking is off on both pages, and says where to switch it on.
    assert api_states["stolen_vehicle_tracking"] == "inactive"
    assert lines["svt"] == "not_activated"
    svt = text_of(overview.text[overview.text.index('id="sub-svt"') :])
    assert svt.split("Nicht aktiv", 1)[1].lstrip().startswith("Beim Fahrzeug inklusive")
    assert "Im Connected-Services-Center aktivieren" in svt


async def test_subscribe_is_offered_only_where_it_can_be_bought(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    """Both pages offer "Subscribe" exactly on the packages the subscriptions service sells now;
    a running package says until when it runs instead (it used to offer "Subscribe" on every
    package in the Centre, the active ones too)."""
    clock.set(at(date(2026, 1, 5)))
    vin, headers = await _car(runtime, client, "NX450HP")
    api = await client.get(f"/api/v1/vehicles/{vin}/services", headers=headers)
    api_states = {s["service"]: s["state"] for s in api.json()["services"]}
    catalogue = service_catalogue()
    package_runs = {
        code: any(api_states[s.code] == "active" for s in catalogue.services_of(code))
        for code in catalogue.packages
    }
    centre = await client.get(f"/vehicle/{vin}/services")
    overview = await client.get(f"/vehicle/{vin}/subscriptions")
    offers = await client.get(f"/api/v1/vehicles/{vin}/subscriptions/offers", headers=headers)
    purchasable = {o["package"] for o in offers.json()["offers"] if o["purchasable"]}
    for html in (centre.text, overview.text):
        links = _subscribe_links(html, vin)
        assert links == purchasable
        assert not {code for code in links if package_runs[code]}
    assert "remote" not in purchasable
    assert "standard" not in purchasable
    centre_text = text_of(centre.text)
    assert "Aktiv bis 01.06.2029" in centre_text  # standard: MM21, 4 years from delivery
    assert "Aktiv bis 05.02.2026 (kostenloser Test)" in centre_text  # the Remote Connect trial

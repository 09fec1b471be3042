"""The Health page of a car and the Support section, through the web app as a browser uses it
(forms with their token): warnings explained, the owner's own service record, Contact us opening
a case, its thread and an answer from the customer centre."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from linkplus.models.accounts import StaffRole
from linkplus.models.twin import TwinSignal
from linkplus.runtime import Runtime
from tests.connected_services.support import ACCEPT_DE, link, make_vehicle
from tests.support import bearer_for, make_staff
from tests.web.support import post_form, signed_in_owner, text_of


async def _owned(runtime: Runtime, client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    owner = await signed_in_owner(runtime, client)
    vin = await make_vehicle(runtime)
    await link(runtime, owner, vin, primary=True, since=runtime.clock.now() - timedelta(days=30))
    headers = await bearer_for(runtime, owner)
    activated = await client.post(
        f"/api/v1/vehicles/{vin}/services/activate",
        json={"packages": ["standard"], "accept": ACCEPT_DE},
        headers=headers,
    )
    assert activated.status_code == 200, activated.text
    return vin, headers


async def test_the_health_page_explains_warnings_and_keeps_the_owners_records(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    vin, _ = await _owned(runtime, client)
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        for path, value in {
            "Vehicle.Private.LinkPlus.WarningLights.Active": ["brake_system"],
            "Vehicle.OBD.DTCList": ["C0035"],
            "Vehicle.LowVoltageBattery.CurrentVoltage": 12.5,
            "Vehicle.TraveledDistance": 31234.0,
        }.items():
            session.add(TwinSignal(vin=vin, path=path, value=value, ts=now, received_at=now))
    page = await client.get(f"/vehicle/{vin}/health")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Brake system" in text
    assert "Stop safely" in text
    assert "Wheel speed sensor, front left" in text
    assert "31,234 km" in text
    assert "Next service" in text
    assert 'href="/static/maintenance.css"' in page.text

    added = await post_form(
        client,
        f"/vehicle/{vin}/health",
        f"/vehicle/{vin}/health/records",
        {"serviced_on": now.date().isoformat(), "odometer_km": "31.000", "work": "Wiper blades",
         "kind": "other"},
    )  # fmt: skip
    assert added.status_code == 303, added.text
    history = text_of((await client.get(added.headers["location"])).text)
    assert "Your record is in the service history." in history
    assert "Wiper blades" in history
    wrong = await post_form(
        client,
        f"/vehicle/{vin}/health",
        f"/vehicle/{vin}/health/records",
        {"serviced_on": "2099-01-01", "odometer_km": "31000", "work": "Later", "kind": "other"},
    )
    assert wrong.status_code == 422
    assert "Enter the day the work was done" in text_of(wrong.text)


async def test_contact_us_opens_a_case_the_customer_centre_answers(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    vin, _ = await _owned(runtime, client)
    home = await client.get("/support")
    assert "Service and Maintenance" in text_of(home.text)
    opened = await post_form(
        client,
        "/support",
        "/support/cases",
        {"category": "service_and_maintenance", "vin": vin, "subject": "Engine light",
         "message": "The engine light came on this morning."},
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    case_path = opened.headers["location"].split("?")[0]
    case_id = re.search(r"/support/cases/([0-9a-f-]+)", case_path)
    assert case_id
    agent = await make_staff(runtime, role=StaffRole.agent)
    answered = await client.post(
        f"/api/v1/staff/support/cases/{case_id.group(1)}/messages",
        json={"message": "Please book a visit with your dealer; it may be a misfire."},
        headers=await bearer_for(runtime, agent),
    )
    assert answered.status_code == 200, answered.text
    thread = text_of((await client.get(case_path)).text)
    assert "The engine light came on this morning." in thread
    assert "Customer centre" in thread
    assert "it may be a misfire" in thread
    assert "Answered" in thread
    replied = await post_form(client, case_path, f"{case_path}/messages", {"message": "Thanks!"})
    assert replied.status_code == 303
    empty = await post_form(client, case_path, f"{case_path}/messages", {"message": ""})
    assert empty.status_code == 422
    closed = await post_form(client, case_path, f"{case_path}/close", {})
    assert closed.status_code == 303
    assert "Closed" in text_of((await client.get(case_path)).text)
    listed = text_of((await client.get("/support")).text)
    assert "Engine light" in listed
    assert (await client.get("/support/cases/not-a-case")).status_code == 404

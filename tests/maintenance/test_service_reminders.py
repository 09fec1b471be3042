"""Service reminders with the moved clock: by time and by distance, whichever comes first, each
notice once; a dealer's recorded service starts the schedule again; the owner's history."""

from __future__ import annotations

from datetime import timedelta

from linkplus.jobs.worker import Worker
from linkplus.models.accounts import StaffRole
from tests.connected_services.support import link
from tests.maintenance.support import inbox
from tests.remote_e2e.support import RemoteLink
from tests.support import bearer_for, make_owner, make_staff


async def _record_service(
    link: RemoteLink, *, km: int, work: str, cost: int | None = None
) -> dict[str, object]:
    dealer = await make_staff(link.runtime, role=StaffRole.dealer)
    body = {
        "serviced_on": link.clock.now().date().isoformat(),
        "odometer_km": km,
        "work": work,
        "is_service": True,
        "dealer_id": "be-bru-1",
    }
    if cost is not None:
        body |= {"cost_minor": cost, "currency": "EUR"}
    answer = await link.client.post(
        f"/api/v1/staff/vehicles/{link.cars['car'].vin}/service-visits",
        json=body,
        headers=await bearer_for(link.runtime, dealer),
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _daily_run(link: RemoteLink, worker: Worker) -> None:
    await worker.tick_schedules()
    await link.settle()


async def test_reminders_by_time_then_by_distance_after_a_recorded_service(
    mlink: RemoteLink, worker: Worker
) -> None:
    car = mlink.cars["car"]
    await worker.sync_schedules()
    km = round(car.state.odometer_km)
    visit = await _record_service(mlink, km=km, work="Annual service, oil and filter", cost=28950)
    assert visit["dealer_name"] == "Zennevallei Automobiles"
    due = await mlink.get("car", "service")
    assert due["due_on"] == "2027-11-21"
    assert due["due_km"] == km + 15000
    assert due["stage"] == "none"

    # By time: 30 days before the date, then 7 days before; each once.
    await mlink.advance(days=335)
    await _daily_run(mlink, worker)
    first = await inbox(mlink, "car", "service_reminder")
    assert [n.title for n in first] == ["Service coming up: your Lexus NX 450h+"]
    assert "due on 2027-11-21" in first[0].body
    await mlink.advance(days=1)
    await _daily_run(mlink, worker)
    assert len(await inbox(mlink, "car", "service_reminder")) == 1
    await mlink.advance(days=23)
    await _daily_run(mlink, worker)
    titles = [n.title for n in await inbox(mlink, "car", "service_reminder")]
    assert titles[-1] == "Service due soon: your Lexus NX 450h+"
    assert len(titles) == 2

    # The dealer services the car: a new cycle, counted from today.
    km = round(car.state.odometer_km)
    await _record_service(mlink, km=km, work="Annual service")
    due = await mlink.get("car", "service")
    assert due["stage"] == "none"
    assert due["counted_from"] == mlink.clock.now().date().isoformat()
    await _daily_run(mlink, worker)
    assert len(await inbox(mlink, "car", "service_reminder")) == 2

    # By distance: 14,000 km later, a month on, with 1,000 km left but eleven months to go.
    await mlink.advance(days=30)
    car.state.odometer_km += 14_000
    car.unit.send_status(mlink.clock.now())
    await mlink.settle()
    due = await mlink.get("car", "service")
    assert due["stage"] == "first"
    assert due["km_left"] == 1000
    assert due["days_left"] > 300
    await _daily_run(mlink, worker)
    titles = [n.title for n in await inbox(mlink, "car", "service_reminder")]
    assert titles[-1] == "Service coming up: your Lexus NX 450h+"
    assert len(titles) == 3
    history = await mlink.get("car", "service-history")
    assert [r["work"] for r in history] == ["Annual service", "Annual service, oil and filter"]


async def test_the_cars_own_distance_to_service_is_believed(mlink: RemoteLink) -> None:
    car = mlink.cars["car"]
    await _record_service(mlink, km=round(car.state.odometer_km), work="Annual service")
    await mlink.advance(minutes=5)
    car.state.distance_to_service_km = 420.0
    car.unit.send_status(mlink.clock.now())
    await mlink.settle()
    due = await mlink.get("car", "service")
    assert due["by_car"] is True
    assert due["km_left"] == 420
    assert due["stage"] == "second"


async def test_owner_records_and_refusals(mlink: RemoteLink) -> None:
    car = mlink.cars["car"]
    headers = await mlink.headers("car")
    url = f"/api/v1/vehicles/{car.vin}/service-history"
    today = mlink.clock.now().date()
    good = {"serviced_on": today.isoformat(), "odometer_km": 30000, "work": "New winter tyres"}
    added = await mlink.client.post(url, json=good, headers=headers)
    assert added.status_code == 201, added.text
    assert added.json()["source"] == "owner"

    future = good | {"serviced_on": (today + timedelta(days=2)).isoformat()}
    refused = await mlink.client.post(url, json=future, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "service_date_in_future"
    no_currency = await mlink.client.post(url, json=good | {"cost_minor": 100}, headers=headers)
    assert no_currency.json()["code"] == "cost_without_currency"
    extra = await mlink.client.post(url, json=good | {"source": "dealer"}, headers=headers)
    assert extra.status_code == 422
    odd_number = await mlink.client.post(url, json=good | {"odometer_km": "²"}, headers=headers)
    assert odd_number.status_code == 422

    # Another owner's token, a dealer's route with an owner's token, an unknown dealer.
    other = await mlink.client.get(
        f"/api/v1/vehicles/{car.vin}/service-history",
        headers=await bearer_for(mlink.runtime, await make_owner(mlink.runtime)),
    )
    assert other.status_code == 404
    assert other.json()["code"] == "vehicle_not_found"
    as_owner = await mlink.client.post(
        f"/api/v1/staff/vehicles/{car.vin}/service-visits",
        json=good | {"dealer_id": "be-bru-1"},
        headers=headers,
    )
    assert as_owner.status_code in (401, 403, 404)
    dealer = await make_staff(mlink.runtime, role=StaffRole.dealer)
    unknown = await mlink.client.post(
        f"/api/v1/staff/vehicles/{car.vin}/service-visits",
        json=good | {"dealer_id": "xx-nowhere-9"},
        headers=await bearer_for(mlink.runtime, dealer),
    )
    assert unknown.json()["code"] == "unknown_dealer"
    history = await mlink.get("car", "service-history")
    assert [r["work"] for r in history] == ["New winter tyres"]


async def test_a_secondary_account_sees_the_history_but_not_the_mileage_figures(
    mlink: RemoteLink,
) -> None:
    car = mlink.cars["car"]
    await _record_service(mlink, km=round(car.state.odometer_km), work="Annual service")
    second = await make_owner(mlink.runtime)
    await link(mlink.runtime, second, car.vin, primary=False)
    headers = await bearer_for(mlink.runtime, second)
    base = f"/api/v1/vehicles/{car.vin}"
    history = await mlink.client.get(f"{base}/service-history", headers=headers)
    assert [r["work"] for r in history.json()] == ["Annual service"]
    for tail in ("service", "health"):
        refused = await mlink.client.get(f"{base}/{tail}", headers=headers)
        assert refused.status_code == 403, tail

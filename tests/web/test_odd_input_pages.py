"""Odd numbers typed into the web app's forms and sent to its event stream: a 422 that names the
field, never a 500 (``'²'.isdigit()`` is true, ``int('²')`` raises) or a cut-off stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from linkplus.app import create_app
from linkplus.runtime import Runtime
from tests.garage.support import make_car
from tests.support import DEFAULT_PASSWORD, bearer_for
from tests.vehicle_link.support import make_car as make_connected_car
from tests.web.support import add_by_reading, owner_with_car, post_form, sign_in, signed_in_owner

# Each one passes str.isdigit() after the form's separators are removed; none is a reading.
NOT_READINGS = ["1²", "²", "١٢٣٤٥", "12\u00a0345²"]


@pytest.fixture
async def other_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime, run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize("reading", NOT_READINGS)
async def test_the_add_car_form_refuses_a_reading_that_is_not_ascii_digits(
    runtime: Runtime, client: httpx.AsyncClient, reading: str
) -> None:
    car = await make_car(runtime, odometer_km=12_345)
    await signed_in_owner(runtime, client)

    answer = await add_by_reading(client, car.vin, reading)

    assert answer.status_code == 422
    assert 'aria-describedby="e-odometer_km"' in answer.text
    assert "whole kilometres" in answer.text
    assert (await client.get("/garage")).text.count(car.vin) == 0  # nothing was added


async def test_the_add_car_form_still_takes_a_reading_typed_with_separators(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=12_345)
    await signed_in_owner(runtime, client)

    assert (await add_by_reading(client, car.vin, "12.345")).status_code == 303


@pytest.mark.parametrize("reading", ["2 000 001", "99 999 999 999 999 999 999", "1" * 5000])
async def test_the_add_car_form_says_how_large_a_reading_can_be(
    runtime: Runtime, client: httpx.AsyncClient, reading: str
) -> None:
    car = await make_car(runtime, odometer_km=12_345)
    await signed_in_owner(runtime, client)

    # 5,000 digits: past the length int() reads from text, which raised a 500 before.
    answer = await add_by_reading(client, car.vin, reading)

    assert answer.status_code == 422
    assert "2,000,000" in answer.text


@pytest.mark.parametrize("reading", NOT_READINGS)
async def test_the_claim_primary_form_refuses_a_reading_that_is_not_ascii_digits(
    runtime: Runtime, client: httpx.AsyncClient, other_client: httpx.AsyncClient, reading: str
) -> None:
    car = await make_car(runtime, odometer_km=30_000)
    await owner_with_car(runtime, client, car)
    await signed_in_owner(runtime, other_client)
    assert (await add_by_reading(other_client, car.vin, 30_000)).status_code == 303

    answer = await post_form(
        other_client, f"/vehicle/{car.vin}", f"/vehicle/{car.vin}/primary", {"odometer_km": reading}
    )

    assert answer.status_code == 422
    assert "whole kilometres" in answer.text
    # No try was used up: a wrong reading would have said how many are left.
    assert "more tries" not in answer.text


@pytest.mark.parametrize(
    ("params", "last_event_id"),
    [
        ({"after": str(2**64)}, None),
        ({"after": "¹"}, None),
        ({}, "²"),
        ({}, str(2**64)),
    ],
)
async def test_the_car_pages_event_stream_refuses_an_odd_resume_point(
    runtime: Runtime,
    client: httpx.AsyncClient,
    params: dict[str, str],
    last_event_id: str | None,
) -> None:
    car = await make_car(runtime, odometer_km=12_345)
    await owner_with_car(runtime, client, car)
    headers: dict[str, str | bytes] = {"Accept": "text/event-stream"}  # as EventSource asks
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id.encode("latin-1")

    answer = await client.get(
        f"/vehicle/{car.vin}/remote/events",
        params={**params, "max_events": 1},
        headers=headers,  # type: ignore[arg-type]
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_input"


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "9999-12", "1999-12", "3000-01"])
async def test_a_month_outside_the_calendar_the_trips_pages_compute_with_is_a_422(
    runtime: Runtime, client: httpx.AsyncClient, month: str
) -> None:
    """Year 0 and the month after 9999-12 do not exist: the month's bounds raised (500)."""
    car = await make_connected_car(runtime, client, model_code="NX450HP")
    headers = await bearer_for(runtime, car.owner.account)
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)
    api = f"/api/v1/vehicles/{car.vin}/trips"

    answers = [
        await client.get(f"{api}/monthly", params={"month": month}, headers=headers),
        await client.get(f"{api}/missing", params={"month": month}, headers=headers),
        await client.get(f"{api}/insurance", params={"month": month}, headers=headers),
        await client.get(f"/vehicle/{car.vin}/trips/monthly", params={"month": month}),
    ]

    assert [a.status_code for a in answers] == [422] * 4
    assert all(a.json()["errors"][0]["field"] == "query.month" for a in answers[:3])
    assert "from 2000-01 to 2999-12" in answers[0].json()["errors"][0]["message"]
    page = answers[3]  # the web page answers an error page (web.errors_pages) with the reason
    assert page.headers["content-type"].startswith("text/html")
    assert "from 2000-01 to 2999-12" in page.text


async def test_the_first_and_last_month_accepted_still_show(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_connected_car(runtime, client, model_code="NX450HP")
    await sign_in(client, car.owner.account.email, DEFAULT_PASSWORD)

    for month in ("2000-01", "2999-12"):
        page = await client.get(f"/vehicle/{car.vin}/trips/monthly", params={"month": month})
        assert page.status_code == 200, page.text

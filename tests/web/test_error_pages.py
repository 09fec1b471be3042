"""Errors on the web app's addresses are pages with a way back; the API keeps problem+json.

Each status goes through a real route of the app as served: an address nobody serves, a car
that is not the visitor's, a function a secondary account may not use, a method the page does
not take, a value in the address that is not valid, a refusal of the domain (409) and a bug
(500). The same failures on the API still answer RFC 9457 JSON."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from linkplus.app import create_app
from linkplus.models.accounts import StaffRole
from linkplus.remote.errors import CommandInProgress
from linkplus.runtime import Runtime
from linkplus.web import remote_pages
from tests.connected_services.support import link, make_vehicle
from tests.support import DEFAULT_PASSWORD, bearer_for, make_owner
from tests.web.support import console_staff, sign_in

WAY_BACK = re.compile(r'<a class="button" href="([^"]+)" data-way-back>([^<]+)</a>')
SECRET = "password=hunter2 at db.internal:5432"


@pytest.fixture
def served(runtime: Runtime) -> FastAPI:
    return create_app(runtime, run_worker=False, run_gateway=False)


@pytest.fixture
async def browser(served: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser: 500s come back as the page a person would see, not as a raised exception."""
    transport = httpx.ASGITransport(app=served, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def page_of(answer: httpx.Response, status: int) -> tuple[str, str]:
    """The error page's way back (address, words), after checking it is an HTML page with the
    status and no JSON."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html"), answer.headers
    assert '"code"' not in answer.text
    assert "problem" not in answer.headers["content-type"]
    assert f"Error {status}" in answer.text
    assert "<!doctype html>" in answer.text
    found = WAY_BACK.search(answer.text)
    assert found is not None, answer.text
    return found.group(1), found.group(2)


async def _owner_with_car(runtime: Runtime, browser: httpx.AsyncClient) -> str:
    account = await make_owner(runtime)
    vin = await make_vehicle(runtime)
    await link(runtime, account, vin, primary=True)
    await sign_in(browser, account.email, DEFAULT_PASSWORD)
    return vin


async def test_an_address_nobody_serves_is_a_page_with_sign_in_or_my_garage(
    runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    signed_out = await browser.get("/vehicles/JTHB9BAA5R2000101")  # the old links' address
    assert page_of(signed_out, 404) == ("/signin", "Sign in")
    assert "There is nothing at this address." in signed_out.text

    await _owner_with_car(runtime, browser)
    signed_in = await browser.get("/vehicles/JTHB9BAA5R2000101/status")
    assert page_of(signed_in, 404) == ("/vehicle", "Back to My Garage")
    assert 'action="/signout"' in signed_in.text  # the page knows who is signed in


async def test_a_car_that_is_not_yours_is_not_found_with_a_way_to_my_garage(
    runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    await _owner_with_car(runtime, browser)
    someone_elses = await make_vehicle(runtime)
    for path in (f"/vehicle/{someone_elses}", f"/vehicle/{someone_elses}/remote"):
        answer = await browser.get(path)
        assert page_of(answer, 404) == ("/vehicle", "Back to My Garage")


async def test_a_function_a_secondary_account_may_not_use_is_403_with_the_way_back_to_the_car(
    runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    primary = await make_owner(runtime)
    vin = await make_vehicle(runtime)
    await link(runtime, primary, vin, primary=True)
    secondary = await make_owner(runtime)
    await link(runtime, secondary, vin, primary=False)
    await sign_in(browser, secondary.email, DEFAULT_PASSWORD)
    car = await browser.get(f"/vehicle/{vin}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', car.text)
    assert token is not None
    refused = await browser.post(
        f"/vehicle/{vin}/remote/door-lock", data={"csrf_token": token.group(1)}
    )
    assert page_of(refused, 403) == (f"/vehicle/{vin}", "Back to the car")
    assert "primary" in refused.text


async def test_wrong_method_and_invalid_address_values_are_pages(
    runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    vin = await _owner_with_car(runtime, browser)
    wrong_method = await browser.get(f"/vehicle/{vin}/remote/door-lock")
    assert page_of(wrong_method, 405) == (f"/vehicle/{vin}", "Back to the car")
    assert wrong_method.headers["allow"] == "POST"
    invalid = await browser.get(f"/vehicle/{vin}/remote/events", params={"max_events": "0"})
    assert page_of(invalid, 422) == (f"/vehicle/{vin}", "Back to the car")


async def test_a_refusal_and_a_bug_are_pages_that_say_nothing_internal(
    runtime: Runtime, browser: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    vin = await _owner_with_car(runtime, browser)

    async def busy(*_args: object, **_kwargs: object) -> None:
        raise CommandInProgress("climate", "c0ffee")

    monkeypatch.setattr(remote_pages.remote, "remote_state", busy)
    conflict = await browser.get(f"/vehicle/{vin}/remote")
    assert page_of(conflict, 409) == (f"/vehicle/{vin}", "Back to the car")
    assert "A climate command for this car is still on its way." in conflict.text

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(remote_pages.remote, "remote_state", broken)
    bug = await browser.get(f"/vehicle/{vin}/remote")
    assert page_of(bug, 500) == (f"/vehicle/{vin}", "Back to the car")
    assert SECRET not in bug.text
    assert "RuntimeError" not in bug.text
    assert "Something went wrong on our side" in bug.text


async def test_console_errors_lead_back_to_the_console(
    runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    await console_staff(runtime, browser, StaffRole.agent)
    for path in ("/console/nowhere", "/console/safety/cases/not-a-case"):
        answer = await browser.get(path)
        assert answer.status_code in (404, 422)
        assert page_of(answer, answer.status_code) == ("/console", "Back to the staff console")


async def test_the_api_keeps_answering_problem_json(
    runtime: Runtime, browser: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await make_owner(runtime)
    headers = await bearer_for(runtime, account)
    nowhere = await browser.get("/api/v1/nowhere", headers=headers)
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"] == "application/problem+json"
    assert nowhere.json()["code"] == "not_found"
    someone_elses = await make_vehicle(runtime)
    hidden = await browser.get(f"/api/v1/vehicles/{someone_elses}/remote-state", headers=headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "vehicle_not_found"
    invalid = await browser.get("/api/v1/vehicles/x/commands?limit=nope", headers=headers)
    assert invalid.status_code in (404, 422)
    assert invalid.headers["content-type"] == "application/problem+json"
    assert (await browser.get("/healthz")).json() == {"status": "ok"}

    # A web address asked for JSON (a script) keeps JSON, too.
    scripted = await browser.get("/vehicles/X", headers={"accept": "application/json"})
    assert scripted.headers["content-type"] == "application/problem+json"

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(SECRET)

    vin = await make_vehicle(runtime)
    await link(runtime, account, vin, primary=True)
    monkeypatch.setattr("linkplus.remote.api.service.remote_state", broken)
    bug = await browser.get(f"/api/v1/vehicles/{vin}/remote-state", headers=headers)
    assert bug.status_code == 500
    assert bug.json()["code"] == "internal_error"
    assert SECRET not in bug.text

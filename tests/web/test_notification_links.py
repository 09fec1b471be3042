"""A message's link always opens a page: every car page a notification or an e-mail can link to
(``notifications.links``) is a page of the web app, and opens for the car's owner."""

from __future__ import annotations

import httpx
import pytest

from linkplus.notifications.links import CarPage, car_page
from linkplus.runtime import Runtime
from tests.garage.support import make_car
from tests.web.support import owner_with_car


@pytest.mark.parametrize("page", list(CarPage))
async def test_every_car_page_a_message_links_to_is_a_page(
    client: httpx.AsyncClient, page: CarPage
) -> None:
    """Signed out, a page sends the visitor to sign in and back; an address no page serves
    would be a 404."""
    path = car_page("", "JTHAAAAA000000001", page)
    opened = await client.get(path)
    assert opened.status_code == 303, f"messages link to {path}, which no page serves"
    assert opened.headers["location"].startswith("/signin")


@pytest.mark.parametrize("page", list(CarPage))
async def test_a_message_link_opens_its_page_for_the_owner(
    runtime: Runtime, client: httpx.AsyncClient, page: CarPage
) -> None:
    car = await make_car(runtime)
    await owner_with_car(runtime, client, car)
    link = car_page(runtime.settings.public_url, car.vin, page)
    path = "/" + link.split("/", 3)[3]
    opened = await client.get(path)
    # A page: the section itself, or its page explaining why not now (a service to activate)
    assert opened.status_code in (200, 409), (path, opened.status_code, opened.text[:300])
    assert opened.headers["content-type"].startswith("text/html")
    assert "<title>" in opened.text

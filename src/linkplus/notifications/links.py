"""The links a notification or an e-mail carries to the owner's web app: one place that knows
the app's page addresses, so a message never points at a page that does not exist.

The pages live in ``web`` (``/vehicle/{vin}/...``); domains below it build their links here.
tests/web/test_notification_links.py checks that every section named here is a page of the web
app, and follows the links of real notifications."""

from __future__ import annotations

from enum import StrEnum


class CarPage(StrEnum):
    """The sections of a car's pages in the web app."""

    overview = ""
    status = "status"
    remote = "remote"
    trips = "trips"
    services = "services"
    subscriptions = "subscriptions"
    safety = "safety"
    keys = "keys"
    health = "health"


def car_page(public_url: str, vin: str, page: CarPage = CarPage.overview) -> str:
    """The absolute address of one of a car's pages."""
    base = f"{public_url.rstrip('/')}/vehicle/{vin}"
    return f"{base}/{page.value}" if page.value else base


def support_case_page(public_url: str, case_id: object) -> str:
    """The owner's page of one support case."""
    return f"{public_url.rstrip('/')}/support/cases/{case_id}"

"""The "Contact us" categories, in the owner's words, and what each case may name. Pure.

The documents name "Service and Maintenance" as a support category and send owners to the
customer centre for subscriptions, payments and invoices, missing trips and app problems; the
categories follow those topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    service_and_maintenance = "service_and_maintenance"
    car_and_app = "car_and_app"
    connected_services = "connected_services"
    payments_and_invoices = "payments_and_invoices"
    account_and_privacy = "account_and_privacy"


@dataclass(frozen=True)
class CategoryInfo:
    category: Category
    title: str
    hint: str
    names_car: bool  # the case may name one of the owner's cars
    names_invoice: bool  # the case may name one of the owner's invoices


CATEGORIES = [
    CategoryInfo(
        Category.service_and_maintenance,
        "Service and Maintenance",
        "Warning lights, service visits, your preferred dealer.",
        names_car=True,
        names_invoice=False,
    ),
    CategoryInfo(
        Category.car_and_app,
        "My car and the app",
        "Connecting the car, its status, remote control, trips that are missing.",
        names_car=True,
        names_invoice=False,
    ),
    CategoryInfo(
        Category.connected_services,
        "Connected services and subscriptions",
        "Activating, renewing or cancelling a service.",
        names_car=True,
        names_invoice=False,
    ),
    CategoryInfo(
        Category.payments_and_invoices,
        "Payments and invoices",
        "A charge, a refund, a lost invoice.",
        names_car=False,
        names_invoice=True,
    ),
    CategoryInfo(
        Category.account_and_privacy,
        "My account and privacy",
        "Signing in, your details, your data.",
        names_car=False,
        names_invoice=False,
    ),
]
BY_CATEGORY = {info.category: info for info in CATEGORIES}

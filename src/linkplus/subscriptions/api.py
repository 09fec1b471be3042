"""The owner's subscriptions of a car: offers, subscribe, status, cancel, renewal. Only the
car's primary account (``PrimaryVehicle``); another account's car is the same 404 as none."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import PrimaryVehicle
from linkplus.subscriptions import service
from linkplus.subscriptions.schemas import (
    CancelOut,
    OffersOut,
    StatusOut,
    SubscribeIn,
    SubscribeOut,
    SubscriptionOut,
    SubscriptionUpdateIn,
)
from linkplus.subscriptions.staff_api import staff_router

# Refusals (400, 409), a declined payment (402), the payment provider down (502, 503).
owner_router = APIRouter(
    prefix="/vehicles/{vin}/subscriptions",
    tags=["subscriptions"],
    responses=problem_responses(400, 402, 409, 502, 503),
)


@owner_router.get("/offers")
async def list_offers(
    caller: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> OffersOut:
    """Packages with their plans and prices (VAT included) for the car's market, whether a
    free trial comes with them, and when a purchase is not possible yet, why and from when."""
    return await service.offers(session, runtime, caller)


@owner_router.post("", status_code=201)
async def subscribe(
    data: SubscribeIn, caller: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> SubscribeOut:
    """Start the free trial (nothing charged; first payment one month later) or buy: the
    primary card is charged now and the invoice e-mailed. Declined: 402, nothing activated."""
    return await service.subscribe(session, runtime, caller, data)


@owner_router.get("")
async def subscription_status(
    caller: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> StatusOut:
    """Each package: active (end or next payment date), cancelled (service end date), trial
    available, available, or expired."""
    return await service.status(session, runtime, caller)


@owner_router.post("/{subscription_id}/cancel")
async def cancel(
    subscription_id: uuid.UUID, caller: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> CancelOut:
    """Cancel: the answer states when the service ends, the refund and the rule applied."""
    return await service.cancel(session, runtime, caller, subscription_id)


@owner_router.patch("/{subscription_id}")
async def update(
    subscription_id: uuid.UUID,
    data: SubscriptionUpdateIn,
    caller: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SubscriptionOut:
    """Switch automatic renewal or payment reminders. The plan cannot be changed: 409."""
    return await service.update(session, runtime, caller, subscription_id, data)


router = APIRouter()
router.include_router(owner_router)
router.include_router(staff_router)

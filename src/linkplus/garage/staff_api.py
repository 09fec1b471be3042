"""The dealer console's garage functions under /api/v1/staff/vehicles (dealers and agents).

Owners' tokens get 404 here (``CurrentStaff``); every look-up and change is audited.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from linkplus.audit.deps import AccessReasonDep
from linkplus.auth.deps import staff_with_role
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage import service
from linkplus.garage.schemas import (
    IdentityCheckIn,
    IdentityCheckOut,
    OwnershipCheckOut,
    StaffRemovalIn,
    StaffVehicleOut,
    VehicleOwnershipBlockOut,
)
from linkplus.models.accounts import StaffAccount, StaffRole

staff_router = APIRouter(tags=["staff"], responses=problem_responses(400, 409))

DealerOrAgent = Annotated[StaffAccount, Depends(staff_with_role(StaffRole.dealer, StaffRole.agent))]


@staff_router.get("/staff/vehicles/{vin}")
async def find_vehicle(
    vin: str,
    staff: DealerOrAgent,
    reason: AccessReasonDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StaffVehicleOut:
    """The car, its accounts with their roles and ownership checks (audited). Give the reason
    (``reason``, ``reason_text``): each account's owner sees it in their privacy portal."""
    return await service.staff_find_vehicle(session, runtime, staff, vin, reason=reason)


@staff_router.post("/staff/vehicles/{vin}/identity-checks", status_code=status.HTTP_201_CREATED)
async def record_identity_check(
    vin: str,
    body: IdentityCheckIn,
    staff: DealerOrAgent,
    session: SessionDep,
    runtime: RuntimeDep,
) -> IdentityCheckOut:
    """Record that you saw the owner's identity document in person."""
    return await service.record_identity_check(session, runtime, staff, vin, body)


@staff_router.post("/staff/vehicles/{vin}/ownership-checks/{account_id}/unblock")
async def unblock_ownership_check(
    vin: str,
    account_id: uuid.UUID,
    staff: DealerOrAgent,
    session: SessionDep,
    runtime: RuntimeDep,
) -> OwnershipCheckOut:
    """Reset the wrong odometer readings; needs an identity check from the last 24 hours."""
    return await service.unblock_ownership_check(session, runtime, staff, vin, account_id)


@staff_router.post("/staff/vehicles/{vin}/ownership-block/unblock")
async def unblock_vehicle(
    vin: str, staff: DealerOrAgent, session: SessionDep, runtime: RuntimeDep
) -> VehicleOwnershipBlockOut:
    """Lift the car's block after too many wrong readings from any accounts; needs an identity
    check for this car from the last 24 hours (audited)."""
    return await service.unblock_vehicle(session, runtime, staff, vin)


@staff_router.delete(
    "/staff/vehicles/{vin}/accounts/{account_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_vehicle_from_account(
    vin: str,
    account_id: uuid.UUID,
    body: StaffRemovalIn,
    staff: DealerOrAgent,
    session: SessionDep,
    runtime: RuntimeDep,
) -> None:
    """Remove the car from the account on the owner's request (the reason is audited)."""
    await service.staff_remove_vehicle(session, runtime, staff, vin, account_id, reason=body.reason)

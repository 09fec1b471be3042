"""Customer-centre agents: a customer's subscriptions and payments, and cancelling on their
behalf. Both audited. (Invoices are in the invoices staff API.)"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from linkplus.audit.deps import AccessReasonDep
from linkplus.auth.deps import staff_with_role
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.subscriptions import service
from linkplus.subscriptions.schemas import CancelOut, StaffCancelIn, StaffSubscriptionsOut

staff_router = APIRouter(
    prefix="/staff", tags=["staff"], responses=problem_responses(409, 502, 503)
)
Agent = Annotated[StaffAccount, Depends(staff_with_role(StaffRole.agent))]


@staff_router.get("/accounts/{account_id}/subscriptions")
async def customer_subscriptions(
    account_id: uuid.UUID,
    staff: Agent,
    reason: AccessReasonDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StaffSubscriptionsOut:
    """A customer's subscriptions with every charge, refund and document id (audited). Give the
    reason (``reason``, ``reason_text``): the customer sees it in their privacy portal."""
    return await service.staff_subscriptions(
        session, runtime, staff, account_id=account_id, reason=reason
    )


@staff_router.post("/subscriptions/{subscription_id}/cancel")
async def cancel_for_customer(
    subscription_id: uuid.UUID,
    data: StaffCancelIn,
    staff: Agent,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CancelOut:
    """Cancel on the customer's behalf with the usual refund rules (audited with the reason)."""
    return await service.staff_cancel(
        session, runtime, staff, subscription_id=subscription_id, reason=data.reason
    )

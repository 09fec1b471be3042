"""The support API: "Contact us" and the owner's cases under /support; the customer centre's
queue and case handling under /staff/support (customer-centre agents; every case opened is
audited and shown to the owner as a staff access record)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from linkplus.auth.deps import CurrentOwner, staff_with_role
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.support import service
from linkplus.support.schemas import (
    CaseIn,
    CaseOut,
    CaseSummaryOut,
    CategoryOut,
    MessageIn,
    QueueEntryOut,
    StaffCaseOut,
)

router = APIRouter(tags=["support"], responses=problem_responses(404, 409))
staff_router = APIRouter(tags=["staff", "support"], responses=problem_responses(404, 409))

Agent = Annotated[StaffAccount, Depends(staff_with_role(StaffRole.agent))]


@router.get("/support/categories")
async def categories() -> list[CategoryOut]:
    """The "Contact us" categories and what a case in each may name."""
    return service.categories()


@router.post("/support/cases", status_code=status.HTTP_201_CREATED)
async def open_case(
    body: CaseIn, owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """Open a case with your first message; name your car or your invoice where it helps."""
    return await service.open_case(session, runtime, owner, body)


@router.get("/support/cases")
async def my_cases(owner: CurrentOwner, session: SessionDep) -> list[CaseSummaryOut]:
    return await service.owner_cases(session, owner)


@router.get("/support/cases/{case_id}")
async def my_case(case_id: uuid.UUID, owner: CurrentOwner, session: SessionDep) -> CaseOut:
    return await service.owner_case(session, owner, case_id)


@router.post("/support/cases/{case_id}/messages")
async def write(
    case_id: uuid.UUID,
    body: MessageIn,
    owner: CurrentOwner,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CaseOut:
    return await service.owner_writes(session, runtime, owner, case_id, body)


@router.post("/support/cases/{case_id}/close")
async def close(
    case_id: uuid.UUID, owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    return await service.owner_closes(session, runtime, owner, case_id)


@staff_router.get("/staff/support/cases")
async def queue(
    staff: Agent,
    session: SessionDep,
    include_answered: Annotated[bool, Query()] = False,
) -> list[QueueEntryOut]:
    """Cases waiting for the customer centre, oldest first (nothing of the owner shown)."""
    return await service.queue(session, include_answered=include_answered)


@staff_router.get("/staff/support/cases/{case_id}")
async def staff_case(
    case_id: uuid.UUID, staff: Agent, session: SessionDep, runtime: RuntimeDep
) -> StaffCaseOut:
    """Open the case (audited; the owner sees it in their staff access records)."""
    return await service.staff_case(session, runtime, staff, case_id)


@staff_router.post("/staff/support/cases/{case_id}/messages")
async def answer(
    case_id: uuid.UUID, body: MessageIn, staff: Agent, session: SessionDep, runtime: RuntimeDep
) -> StaffCaseOut:
    """Answer the owner (audited; the owner is told by e-mail and push)."""
    return await service.staff_answers(session, runtime, staff, case_id, body)


@staff_router.post("/staff/support/cases/{case_id}/close")
async def staff_close(
    case_id: uuid.UUID, staff: Agent, session: SessionDep, runtime: RuntimeDep
) -> StaffCaseOut:
    """Close the case (audited; the owner is told)."""
    return await service.staff_closes(session, runtime, staff, case_id)

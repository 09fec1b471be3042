"""Invoices and credit notes: the owner's under /api/v1/invoices, a customer's for agents under
/api/v1/staff. Documents are issued by the billing run, never through this API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from linkplus.audit.deps import AccessReasonDep
from linkplus.auth.deps import CurrentOwner, staff_with_role
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.invoices import service
from linkplus.invoices.schemas import DocumentOut, DocumentPage, ResentOut
from linkplus.models.accounts import StaffAccount, StaffRole

owner_router = APIRouter(prefix="/invoices", tags=["invoices"], responses=problem_responses(409))
staff_router = APIRouter(prefix="/staff", tags=["staff"], responses=problem_responses(409))

Agent = Annotated[StaffAccount, Depends(staff_with_role(StaffRole.agent))]
Before = Annotated[datetime | None, Query(description="next_before of the previous page")]
BeforeId = Annotated[uuid.UUID | None, Query(description="next_before_id of the previous page")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]


@owner_router.get("")
async def list_documents(
    owner: CurrentOwner,
    session: SessionDep,
    before: Before = None,
    before_id: BeforeId = None,
    limit: Limit = 20,
) -> DocumentPage:
    """Your invoices and credit notes, newest first."""
    return await service.owner_documents(
        session, account_id=owner.id, limit=limit, before=before, before_id=before_id
    )


@owner_router.get("/{document_id}.pdf", response_class=Response)
async def download_document(
    document_id: uuid.UUID, owner: CurrentOwner, session: SessionDep
) -> Response:
    """The invoice or credit note as a PDF file."""
    name, content = await service.owner_pdf(session, account_id=owner.id, document_id=document_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


@owner_router.get("/{document_id}")
async def get_document(
    document_id: uuid.UUID, owner: CurrentOwner, session: SessionDep
) -> DocumentOut:
    """One invoice or credit note: seller, buyer, lines, VAT and totals."""
    return await service.owner_document(session, account_id=owner.id, document_id=document_id)


@staff_router.get("/accounts/{account_id}/invoices")
async def staff_list_documents(
    account_id: uuid.UUID,
    staff: Agent,
    reason: AccessReasonDep,
    session: SessionDep,
    runtime: RuntimeDep,
    before: Before = None,
    before_id: BeforeId = None,
    limit: Limit = 20,
) -> DocumentPage:
    """A customer's invoices and credit notes, newest first (audited). Give the reason
    (``reason``, ``reason_text``): the customer sees it in their privacy portal."""
    return await service.staff_account_documents(
        session,
        runtime,
        staff,
        account_id=account_id,
        limit=limit,
        before=before,
        before_id=before_id,
        reason=reason,
    )


@staff_router.post("/invoices/{document_id}/resend")
async def resend_document(
    document_id: uuid.UUID, staff: Agent, session: SessionDep, runtime: RuntimeDep
) -> ResentOut:
    """E-mail the document again to the customer's current address (audited)."""
    return await service.staff_resend(session, runtime, staff, document_id=document_id)


router = APIRouter()
router.include_router(owner_router)
router.include_router(staff_router)

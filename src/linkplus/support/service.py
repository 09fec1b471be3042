"""Use cases of support: the owner opens a case from "Contact us", writes in its thread and
closes it; customer-centre agents see the queue, open a case (a staff access record, the case
being the reason, and an audit entry), answer and close it. Every answer and close tells the
owner (inbox, and e-mail and push: support messages go in the account category, always sent).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import access
from linkplus.audit import service as audit
from linkplus.audit.reasons import ViewKind, support_case_reason
from linkplus.garage import service as garage
from linkplus.invoices import service as invoices
from linkplus.models.accounts import Account, StaffAccount
from linkplus.models.notifications import Category as NoticeCategory
from linkplus.models.support import Author, SupportCase, SupportCaseState, SupportMessage
from linkplus.notifications import service as notifications
from linkplus.notifications.links import support_case_page
from linkplus.runtime import Runtime
from linkplus.support import repository
from linkplus.support.categories import BY_CATEGORY, CATEGORIES
from linkplus.support.errors import (
    CarNotForCategory,
    CaseClosed,
    CaseNotFound,
    InvoiceNotForCategory,
)
from linkplus.support.schemas import (
    CaseIn,
    CaseOut,
    CaseSummaryOut,
    CategoryOut,
    MessageIn,
    MessageOut,
    QueueEntryOut,
    StaffCaseOut,
)


def reference(case_id: uuid.UUID) -> str:
    return case_id.hex[:8].upper()


def categories() -> list[CategoryOut]:
    return [
        CategoryOut(
            code=c.category.value,
            title=c.title,
            hint=c.hint,
            names_car=c.names_car,
            names_invoice=c.names_invoice,
        )
        for c in CATEGORIES
    ]


def _summary(case: SupportCase) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=case.id,
        reference=reference(case.id),
        category=case.category,
        subject=case.subject,
        state=case.state,
        opened_at=case.opened_at,
        updated_at=case.updated_at,
    )


async def _full(session: AsyncSession, case: SupportCase) -> CaseOut:
    return CaseOut(
        **_summary(case).model_dump(),
        vin=case.vin,
        invoice_number=case.invoice_number,
        messages=[
            MessageOut(author=m.author, body=m.body, created_at=m.created_at)
            for m in await repository.messages(session, case.id)
        ],
    )


# --- the owner ---------------------------------------------------------------------------------


async def open_case(
    session: AsyncSession, runtime: Runtime, owner: Account, body: CaseIn
) -> CaseOut:
    """A new case; a car or an invoice it names must be the owner's (404 as for any other)."""
    info = BY_CATEGORY[body.category]
    vin = None
    invoice_number = None
    if body.vin is not None:
        if not info.names_car:
            raise CarNotForCategory()
        vin = (await garage.caller_vehicle(session, owner, body.vin)).vehicle.vin
    if body.invoice_id is not None:
        if not info.names_invoice:
            raise InvoiceNotForCategory()
        document = await invoices.owner_document(
            session, account_id=owner.id, document_id=body.invoice_id
        )
        invoice_number = document.number
    now = runtime.clock.now()
    case = SupportCase(
        account_id=owner.id,
        category=body.category.value,
        subject=body.subject.strip(),
        vin=vin,
        invoice_number=invoice_number,
        state=SupportCaseState.open.value,
        opened_at=now,
        updated_at=now,
        closed_at=None,
    )
    first = SupportMessage(
        author=Author.owner.value, staff_id=None, body=body.message.strip(), created_at=now
    )
    await repository.add_case(session, case, first)
    return await _full(session, case)


async def _owned(session: AsyncSession, owner: Account, case_id: uuid.UUID) -> SupportCase:
    case = await repository.case_of_account(session, case_id=case_id, account_id=owner.id)
    if case is None:
        raise CaseNotFound()
    return case


async def owner_cases(session: AsyncSession, owner: Account) -> list[CaseSummaryOut]:
    return [_summary(c) for c in await repository.cases_of_account(session, owner.id)]


async def owner_case(session: AsyncSession, owner: Account, case_id: uuid.UUID) -> CaseOut:
    return await _full(session, await _owned(session, owner, case_id))


async def owner_writes(
    session: AsyncSession, runtime: Runtime, owner: Account, case_id: uuid.UUID, body: MessageIn
) -> CaseOut:
    """The owner adds to the thread; the case waits for the customer centre again."""
    case = await _owned(session, owner, case_id)
    if case.state == SupportCaseState.closed.value:
        raise CaseClosed()
    now = runtime.clock.now()
    await repository.add_message(
        session,
        SupportMessage(
            case_id=case.id,
            author=Author.owner.value,
            staff_id=None,
            body=body.message.strip(),
            created_at=now,
        ),
    )
    case.state = SupportCaseState.open.value
    case.updated_at = now
    await session.flush()
    return await _full(session, case)


async def owner_closes(
    session: AsyncSession, runtime: Runtime, owner: Account, case_id: uuid.UUID
) -> CaseOut:
    case = await _owned(session, owner, case_id)
    if case.state != SupportCaseState.closed.value:
        _close(case, runtime.clock.now())
        await session.flush()
    return await _full(session, case)


def _close(case: SupportCase, now: datetime) -> None:
    case.state = SupportCaseState.closed.value
    case.closed_at = now
    case.updated_at = now


# --- the customer centre -----------------------------------------------------------------------


async def queue(session: AsyncSession, *, include_answered: bool) -> list[QueueEntryOut]:
    """Open cases (and, if asked, those waiting for the owner), oldest first. Shows nothing of
    the owner, so it needs no reason; opening one does."""
    states = [SupportCaseState.open.value]
    if include_answered:
        states.append(SupportCaseState.answered.value)
    return [
        QueueEntryOut(
            id=c.id,
            reference=reference(c.id),
            category=c.category,
            state=c.state,
            opened_at=c.opened_at,
            updated_at=c.updated_at,
            names_car=c.vin is not None,
            names_invoice=c.invoice_number is not None,
        )
        for c in await repository.queue(session, states)
    ]


async def _staff_case(session: AsyncSession, case_id: uuid.UUID) -> SupportCase:
    case = await repository.get_case(session, case_id)
    if case is None:
        raise CaseNotFound()
    return case


async def _staff_view(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case: SupportCase, action: str
) -> StaffCaseOut:
    """The case as the agent sees it, recorded: the audit log and the owner's access record."""
    now = runtime.clock.now()
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action=action,
        subject_type="support_case",
        subject_id=str(case.id),
    )
    await access.record_view(
        session,
        now=now,
        staff=staff,
        account_ids=[case.account_id],
        what=ViewKind.support_case,
        subject=f"support_case:{case.id}",
        reason=support_case_reason(str(case.id)),
    )
    person = await repository.account(session, case.account_id)
    assert person is not None  # the case goes with its account
    full = await _full(session, case)
    return StaffCaseOut(
        **full.model_dump(),
        account_email=person.email,
        account_name=f"{person.first_name} {person.last_name}",
    )


async def staff_case(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case_id: uuid.UUID
) -> StaffCaseOut:
    case = await _staff_case(session, case_id)
    return await _staff_view(session, runtime, staff, case, "support.case_viewed")


async def staff_answers(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    case_id: uuid.UUID,
    body: MessageIn,
) -> StaffCaseOut:
    case = await _staff_case(session, case_id)
    if case.state == SupportCaseState.closed.value:
        raise CaseClosed()
    now = runtime.clock.now()
    await repository.add_message(
        session,
        SupportMessage(
            case_id=case.id,
            author=Author.agent.value,
            staff_id=staff.id,
            body=body.message.strip(),
            created_at=now,
        ),
    )
    case.state = SupportCaseState.answered.value
    case.updated_at = now
    await session.flush()
    await _tell_owner(
        session,
        runtime,
        case,
        kind="support_answered",
        title=f"Your support case {reference(case.id)} has an answer",
        body=f'The customer centre answered your case "{case.subject}":\n\n'
        f"{body.message.strip()}\n\nReply in the app if you need more help.",
    )
    return await _staff_view(session, runtime, staff, case, "support.case_answered")


async def staff_closes(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, case_id: uuid.UUID
) -> StaffCaseOut:
    case = await _staff_case(session, case_id)
    if case.state == SupportCaseState.closed.value:
        raise CaseClosed()
    _close(case, runtime.clock.now())
    await session.flush()
    await _tell_owner(
        session,
        runtime,
        case,
        kind="support_closed",
        title=f"Your support case {reference(case.id)} is closed",
        body=f'The customer centre closed your case "{case.subject}". If you still need help, '
        "open a new case from Contact us.",
    )
    return await _staff_view(session, runtime, staff, case, "support.case_closed")


async def _tell_owner(
    session: AsyncSession, runtime: Runtime, case: SupportCase, *, kind: str, title: str, body: str
) -> None:
    await notifications.notify(
        session,
        now=runtime.clock.now(),
        account_id=case.account_id,
        category=NoticeCategory.account,
        kind=kind,
        title=title,
        body=body,
        link=support_case_page(runtime.settings.public_url, case.id),
    )

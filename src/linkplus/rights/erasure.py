"""Erasure of an account (GDPR art. 17, seed 000): the preview, the request with the password
again, the grace period in which the owner can cancel, and the e-mails about it. The erasure
itself is the job in ``rights.erasure_job``; docs/privacy-rights.md, "Erasure".

During the grace period the account works as before (sign in, see and cancel the request, use
its cars), except that it buys nothing new: a subscription is refused with 409
``erasure_pending`` (an order placed now would be cancelled and refunded days later)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import service as accounts
from linkplus.audit import service as audit
from linkplus.errors import ProblemError
from linkplus.garage import service as garage
from linkplus.jobs import cancel, enqueue
from linkplus.models.accounts import Account
from linkplus.models.erasure import ErasureRequest, ErasureState
from linkplus.notifications import service as notifications
from linkplus.payments import service as payments
from linkplus.privacy import data_map
from linkplus.rights import erasure_repository as repository
from linkplus.rights.erasure_rules import CARDS, CARS, ERASED, kept
from linkplus.rights.errors import (
    ErasureAlreadyRequested,
    ErasureNotRequested,
    ErasurePending,
    ErasureUnderWay,
)
from linkplus.rights.schemas import (
    EraseAccountJob,
    ErasedOut,
    ErasureIn,
    ErasurePreviewOut,
    ErasureRequestOut,
    KeptOut,
    RemindErasureJob,
)
from linkplus.runtime import Runtime
from linkplus.subscriptions import service as subscriptions


def request_out(row: ErasureRequest) -> ErasureRequestOut:
    return ErasureRequestOut(
        id=row.id,
        state=row.state,
        requested_at=row.requested_at,
        erase_after=row.erase_after,
        cancellable=row.state == ErasureState.pending,
    )


async def preview(session: AsyncSession, runtime: Runtime, account: Account) -> ErasurePreviewOut:
    vins = await garage.garage_vins(session, account.id)
    cards = await payments.list_cards(session, runtime, account)
    erased = [ErasedOut(what=item.what, detail=item.detail) for item in ERASED]
    erased.insert(
        0,
        ErasedOut(
            what=CARS,
            detail=(
                f"{len(vins)} car(s) leave your garage: " + ", ".join(vins)
                if vins
                else "no car in your garage"
            )
            + "; their subscriptions are cancelled with the usual refund rules",
        ),
    )
    erased.append(ErasedOut(what=CARDS, detail=f"{len(cards)} card(s)"))
    settings = runtime.settings
    current = await repository.open_for(session, account.id)
    return ErasurePreviewOut(
        grace_days=settings.erasure_grace_days,
        erased=erased,
        kept=[
            KeptOut(
                what=k.what,
                fields=k.fields,
                rule=k.rule,
                kept_for=k.kept_for,
                period=k.period,
                unit=k.unit,
            )
            for k in kept(data_map.load(), settings)
        ],
        request=request_out(current) if current is not None else None,
    )


async def request_erasure(
    session: AsyncSession, runtime: Runtime, account: Account, data: ErasureIn
) -> ErasureRequestOut:
    """Start the grace period (the password is checked again, throttled like sign-in)."""
    await accounts.confirm_password(session, runtime, account, password=data.password)
    existing = await repository.open_for(session, account.id)
    if existing is not None:
        raise ErasureAlreadyRequested(existing.erase_after)
    now = runtime.clock.now()
    settings = runtime.settings
    erase_after = now + timedelta(days=settings.erasure_grace_days)
    remind_at = max(now, erase_after - timedelta(days=settings.erasure_reminder_days))
    row = ErasureRequest(
        id=uuid.uuid4(),
        account_id=account.id,
        pseudonym=uuid.uuid4(),
        state=ErasureState.pending,
        requested_at=now,
        erase_after=erase_after,
        remind_at=remind_at,
    )
    await repository.add(session, row)
    await enqueue(
        session, EraseAccountJob(request_id=row.id), now=now, run_at=erase_after,
        dedupe_key=_erase_key(row.id),
    )  # fmt: skip
    await enqueue(
        session, RemindErasureJob(request_id=row.id), now=now, run_at=remind_at,
        dedupe_key=_remind_key(row.id),
    )  # fmt: skip
    await audit.record(
        session, now=now, actor_type="owner", actor_id=str(account.id),
        action="rights.erasure_requested", subject_type="account", subject_id=str(account.id),
        details={"erase_after": erase_after.isoformat()},
    )  # fmt: skip
    await _mail(
        session,
        runtime,
        account,
        "Your account will be erased",
        f"You asked us to erase your linkplus account. It will be erased after "
        f"{erase_after:%Y-%m-%d %H:%M} UTC ({settings.erasure_grace_days} days from now).\n\n"
        "Until then you can cancel: sign in and open Account, Privacy, Erase my account.\n"
        "If you did not ask for this, sign in and cancel now, then change your password.",
    )
    return request_out(row)


async def cancel_erasure(
    session: AsyncSession, runtime: Runtime, account: Account
) -> ErasureRequestOut:
    row = await repository.open_for(session, account.id)
    if row is None:
        raise ErasureNotRequested()
    if row.state != ErasureState.pending:
        raise ErasureUnderWay()
    now = runtime.clock.now()
    row.state = ErasureState.cancelled
    row.cancelled_at = now
    await session.flush()
    await cancel(session, _erase_key(row.id), now=now)
    await cancel(session, _remind_key(row.id), now=now)
    await audit.record(
        session, now=now, actor_type="owner", actor_id=str(account.id),
        action="rights.erasure_cancelled", subject_type="account", subject_id=str(account.id),
    )  # fmt: skip
    await _mail(
        session,
        runtime,
        account,
        "Your account will not be erased",
        "You cancelled the erasure of your linkplus account. Nothing was erased; your account "
        "stays as it is.",
    )
    return request_out(row)


async def remind(session: AsyncSession, runtime: Runtime, request_id: uuid.UUID) -> None:
    """The reminder before the grace period ends (once; nothing when cancelled meanwhile)."""
    row = await repository.get(session, request_id)
    if row is None or row.state != ErasureState.pending or row.reminded_at is not None:
        return
    assert row.account_id is not None
    account = await accounts.account_by_id(session, row.account_id)
    if account is None:
        return
    row.reminded_at = runtime.clock.now()
    await session.flush()
    await _mail(
        session,
        runtime,
        account,
        "Reminder: your account will be erased soon",
        f"Your linkplus account will be erased after {row.erase_after:%Y-%m-%d %H:%M} UTC. "
        "This cannot be undone. To keep your account, sign in and cancel the erasure "
        "(Account, Privacy, Erase my account).",
    )


async def _refuse_purchase(session: AsyncSession, account_id: uuid.UUID) -> ProblemError | None:
    row = await repository.open_for(session, account_id)
    return ErasurePending(row.erase_after) if row is not None else None


subscriptions.register_purchase_block(_refuse_purchase)


async def _mail(
    session: AsyncSession, runtime: Runtime, account: Account, subject: str, text: str
) -> None:
    await notifications.queue_email(
        session,
        now=runtime.clock.now(),
        to=account.email,
        subject=subject,
        text=f"Hello {account.first_name},\n\n{text}\n",
        account_id=account.id,
    )


def _erase_key(request_id: uuid.UUID) -> str:
    return f"erasure:{request_id}"


def _remind_key(request_id: uuid.UUID) -> str:
    return f"erasure-reminder:{request_id}"

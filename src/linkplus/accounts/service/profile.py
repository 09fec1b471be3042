"""The owner's profile and the confirmed change of the account's e-mail address."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import messages, repository
from linkplus.accounts.email_address import InvalidEmail, normalize_email
from linkplus.accounts.errors import (
    EmailTaken,
    InvalidEmailAddress,
    LinkInvalid,
    SameEmail,
    WrongPassword,
)
from linkplus.accounts.schemas import ProfileOut, ProfileUpdate
from linkplus.accounts.service._common import (
    _ASK_AGAIN,
    _guarded_verify,
    _issue_link,
    _mail,
    _notice_to_address,
    _public_url,
    _spend_token,
    _throttle_key,
)
from linkplus.audit import service as audit
from linkplus.models.accounts import Account, Audience, TokenPurpose
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime


async def profile(session: AsyncSession, account: Account) -> ProfileOut:
    return ProfileOut(
        id=account.id,
        email=account.email,
        email_confirmed=account.email_confirmed_at is not None,
        first_name=account.first_name,
        last_name=account.last_name,
        phone=account.phone,
        language=account.language,
        country=account.country,
        time_zone=account.time_zone,
        created_at=account.created_at,
        notification_preferences=await notifications.get_preferences(
            session, account_id=account.id
        ),
    )


async def update_profile(
    session: AsyncSession, runtime: Runtime, account: Account, changes: ProfileUpdate
) -> Account:
    """Apply the fields that were sent (see ``ProfileUpdate``)."""
    sent = changes.model_fields_set
    for name in ("first_name", "last_name", "phone", "language", "country", "time_zone"):
        if name in sent:
            setattr(account, name, getattr(changes, name))
    if "notification_preferences" in sent and changes.notification_preferences is not None:
        await notifications.set_preferences(
            session, account_id=account.id, changes=changes.notification_preferences
        )
    account.updated_at = runtime.clock.now()
    await session.flush()
    return account


async def update_and_show_profile(
    session: AsyncSession, runtime: Runtime, account: Account, changes: ProfileUpdate
) -> ProfileOut:
    await update_profile(session, runtime, account, changes)
    return await profile(session, account)


async def request_email_change(
    session: AsyncSession, runtime: Runtime, account: Account, *, new_email: str, password: str
) -> None:
    """Mail a confirmation link to the new address and a notice to the current one.

    If the new address already belongs to another account, that address is told so instead of
    getting a link, and the caller gets the usual answer: it does not learn whether the address
    is registered.
    """
    now = runtime.clock.now()
    settings = runtime.settings
    try:
        display, key = normalize_email(new_email)
    except InvalidEmail as exc:
        raise InvalidEmailAddress(str(exc)) from exc
    await _guarded_verify(
        session,
        runtime,
        throttle_key=_throttle_key(settings, Audience.owner, account.email_key),
        stored_hash=account.password_hash,
        password=password,
        refusal=WrongPassword(),
    )
    if key == account.email_key:
        raise SameEmail("This is already the address of your account.")
    await repository.use_up_account_tokens(
        session, account_id=account.id, purpose=TokenPurpose.email_change.value, now=now
    )
    if await repository.account_by_email_key(session, key) is not None:
        await _notice_to_address(
            session,
            runtime,
            email_key=key,
            to=display,
            mail=messages.address_in_use(_public_url(runtime)),
            account=None,
        )
    else:
        hours = settings.email_change_hours
        link = await _issue_link(
            session,
            runtime,
            account,
            purpose=TokenPurpose.email_change,
            ttl=timedelta(hours=hours),
            path="/confirm-email",
            new_email=display,
        )
        await _mail(
            session,
            now,
            display,
            messages.email_change_confirm(account.first_name, link, hours),
            account,
        )
    await _mail(
        session,
        now,
        account.email,
        messages.email_change_requested(account.first_name, display, _public_url(runtime)),
        account,
    )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="account.email_change_requested",
        subject_type="account",
        subject_id=str(account.id),
    )


async def confirm_email_change(session: AsyncSession, runtime: Runtime, *, token: str) -> Account:
    """Switch to the confirmed address, unless another account took it in the meantime."""
    now = runtime.clock.now()
    row, account = await _spend_token(session, runtime, token, TokenPurpose.email_change)
    if row.new_email is None:
        raise LinkInvalid("This link is not valid. " + _ASK_AGAIN[TokenPurpose.email_change])
    display, key = normalize_email(row.new_email)
    taken = EmailTaken(
        "Another account now uses this address, so it cannot be moved to yours. "
        "Choose another address."
    )
    existing = await repository.account_by_email_key(session, key)
    if existing is not None and existing.id != account.id:
        raise taken
    old_email = account.email
    account.email, account.email_key = display, key
    account.updated_at = now
    if account.email_confirmed_at is None:
        account.email_confirmed_at = now
    if not await repository.flush_unique(session):
        raise taken
    await _mail(
        session,
        now,
        old_email,
        messages.email_changed(account.first_name, display, _public_url(runtime)),
        account,
    )
    await audit.record(
        session,
        now=now,
        actor_type="owner",
        actor_id=str(account.id),
        action="account.email_changed",
        subject_type="account",
        subject_id=str(account.id),
    )
    return account


async def account_by_id(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    """The account, for another domain that must reach its person (an emergency agent on a
    case they have taken, for example)."""
    return await repository.get_account(session, account_id)

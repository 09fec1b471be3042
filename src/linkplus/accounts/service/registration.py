"""Becoming an owner: registration, the activation link, and the demo's ready-made owner."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import messages, repository
from linkplus.accounts.email_address import normalize_email
from linkplus.accounts.schemas import RegistrationIn
from linkplus.accounts.service._common import (
    _count_registration,
    _hash,
    _issue_link,
    _lookup_key,
    _mail,
    _notice_to_address,
    _public_url,
    _recently_sent,
    _spend_token,
)
from linkplus.accounts.time_zones import zone_for_country
from linkplus.audit import service as audit
from linkplus.models.accounts import Account, TokenPurpose
from linkplus.runtime import Runtime


async def register(
    session: AsyncSession,
    runtime: Runtime,
    data: RegistrationIn,
    *,
    client: str | None,
    channel: str = "api",
) -> Account:
    """Create an unconfirmed account and mail its activation link.

    For an address that already has an account nothing is created: its owner gets a mail saying
    someone tried to register ("if it was you, sign in or reset your password"), and the caller
    gets back an unsaved account built from ``data``, so the answer to the client is identical to
    a new registration and reveals nothing. Never sign anyone in on the strength of the returned
    account; the client signs in with its password like everyone else.

    Abuse limits (``throttle``): every registration from ``client`` (the IP address the app sees)
    counts towards its hourly allowance before the address is looked at, and the owner of an
    existing address gets at most one "someone tried to register" mail per hour.
    """
    now = runtime.clock.now()
    settings = runtime.settings
    await _count_registration(session, runtime, client)
    display, key = normalize_email(data.email)
    account = Account(
        id=uuid.uuid4(),
        email=display,
        email_key=key,
        password_hash=await _hash(settings, data.password),
        first_name=data.first_name,
        last_name=data.last_name,
        country=data.country,
        language=data.language,
        time_zone=data.time_zone or zone_for_country(data.country),
        phone=data.phone,
        email_confirmed_at=None,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    if await repository.add_account(session, account):
        link = await _issue_link(
            session,
            runtime,
            account,
            purpose=TokenPurpose.activation,
            ttl=timedelta(hours=settings.activation_hours),
            path="/activate",
        )
        await _mail(
            session,
            now,
            account.email,
            messages.activation(account.first_name, link, settings.activation_hours),
            account,
        )
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(account.id),
            action="account.registered",
            subject_type="account",
            subject_id=str(account.id),
            details={"channel": channel},
        )
        return account
    existing = await repository.account_by_email_key(session, key)
    if existing is not None:
        await _notice_to_address(
            session,
            runtime,
            email_key=key,
            to=existing.email,
            mail=messages.already_registered(existing.first_name, _public_url(runtime)),
            account=existing,
        )
    return account


async def resend_activation(session: AsyncSession, runtime: Runtime, *, email: str) -> None:
    """Mail a fresh confirmation link; silent when there is nothing to confirm."""
    now = runtime.clock.now()
    account = await repository.account_by_email_key(session, _lookup_key(email))
    if account is None or account.email_confirmed_at is not None:
        return
    if await _recently_sent(session, now, account, TokenPurpose.activation):
        return
    hours = runtime.settings.activation_hours
    link = await _issue_link(
        session,
        runtime,
        account,
        purpose=TokenPurpose.activation,
        ttl=timedelta(hours=hours),
        path="/activate",
    )
    await _mail(
        session, now, account.email, messages.activation(account.first_name, link, hours), account
    )


async def activate(session: AsyncSession, runtime: Runtime, *, token: str) -> Account:
    now = runtime.clock.now()
    _row, account = await _spend_token(session, runtime, token, TokenPurpose.activation)
    await repository.use_up_account_tokens(
        session, account_id=account.id, purpose=TokenPurpose.activation.value, now=now
    )
    if account.email_confirmed_at is None:
        account.email_confirmed_at = now
        account.updated_at = now
        await audit.record(
            session,
            now=now,
            actor_type="owner",
            actor_id=str(account.id),
            action="account.activated",
            subject_type="account",
            subject_id=str(account.id),
        )
    return account


async def ensure_demo_owner(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    country: str,
    language: str,
) -> bool:
    """The demo's owner, confirmed, created once. True when it was created now."""
    now = runtime.clock.now()
    display, key = normalize_email(email)
    if await repository.account_by_email_key(session, key) is not None:
        return False
    account = Account(
        email=display,
        email_key=key,
        password_hash=await _hash(runtime.settings, password),
        first_name=first_name,
        last_name=last_name,
        country=country,
        language=language,
        time_zone=zone_for_country(country),
        phone=None,
        email_confirmed_at=now,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    return await repository.add_account(session, account)

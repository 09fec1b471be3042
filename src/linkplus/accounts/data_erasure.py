"""Erasure (GDPR art. 17): the account's sign-in sessions, refresh tokens and e-mail links, the
throttle and notice rows keyed by its address, and at the very end the account row itself
(deleted, not kept as a tombstone: the address is free for a new sign-up at once, and the
kept records name the erasure's pseudonym instead). docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import repository
from linkplus.accounts.service._common import _lookup_key, _throttle_key
from linkplus.kit.secrets import sign
from linkplus.models.accounts import Account, Audience
from linkplus.runtime import Runtime


async def revoke_sessions(
    session: AsyncSession, runtime: Runtime, *, account_id: uuid.UUID
) -> None:
    """Sign the account out everywhere at once (its access tokens die with their session); the
    rows stay until the account row goes, so their ids can be taken out of the audit log."""
    await repository.revoke_sessions(
        session, now=runtime.clock.now(), reason="account_erased", account_id=account_id
    )


async def identifiers(session: AsyncSession, account: Account) -> list[str]:
    """What names the account elsewhere: its id, its address, its sign-in sessions' ids."""
    ids = await repository.session_ids_of(session, account_id=account.id)
    return [str(account.id), account.id.hex, account.email, *(str(i) for i in ids)]


async def delete_account(session: AsyncSession, runtime: Runtime, account: Account) -> None:
    await repository.end_every_session(session, account_id=account.id)
    key = _lookup_key(account.email)
    secret = runtime.settings.resolved_secret_key
    await repository.delete_account(
        session,
        account_id=account.id,
        throttle_keys=[
            _throttle_key(runtime.settings, Audience.owner, key),
            sign(secret, f"address-notice:{key}"),
        ],
    )

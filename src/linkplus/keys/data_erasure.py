"""Erasure (GDPR art. 17): the account's active keys are revoked first (with what was shared from
them: the car must stop opening for them, so the ``key_revoke`` command goes out as for any
revocation), then the keys it held and the invitations it sent or accepted are deleted. The
revocations stay: they name key ids and the car, not the account, and the car's confirmation is
still awaited. docs/keys.md, "Personal data"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.keys import repository, service
from linkplus.models.keys import KeyState
from linkplus.runtime import Runtime


async def erase_account_data(
    session: AsyncSession, runtime: Runtime, *, account_id: uuid.UUID
) -> None:
    held = await repository.keys_of_account(session, account_id)
    for vin in sorted({k.vin for k in held if k.state == KeyState.active.value}):
        active = [k for k in held if k.vin == vin and k.state == KeyState.active.value]
        await service.revoke(
            session, runtime, vin=vin, roots=active, reason="erasure", actor=("system", None)
        )
    await repository.delete_account_rows(session, account_id)

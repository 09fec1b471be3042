"""All SQL of the digital-key domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.accounts import Account
from linkplus.models.keys import DigitalKey, InviteState, KeyInvite, KeyRevocation, KeyState

Row = DigitalKey | KeyInvite | KeyRevocation


async def add(session: AsyncSession, row: Row) -> None:
    session.add(row)
    await session.flush()


async def get_key(
    session: AsyncSession, key_id: uuid.UUID, *, for_update: bool = False
) -> DigitalKey | None:
    stmt = select(DigitalKey).where(DigitalKey.id == key_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def keys_of_car(session: AsyncSession, vin: str) -> list[DigitalKey]:
    stmt = select(DigitalKey).where(DigitalKey.vin == vin).order_by(DigitalKey.created_at)
    return list((await session.scalars(stmt)).all())


async def active_keys_of_car(
    session: AsyncSession, vin: str, *, for_update: bool = False
) -> list[DigitalKey]:
    stmt = (
        select(DigitalKey)
        .where(DigitalKey.vin == vin, DigitalKey.state == KeyState.active.value)
        .order_by(DigitalKey.created_at)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def keys_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[DigitalKey]:
    stmt = (
        select(DigitalKey)
        .where(DigitalKey.account_id == account_id)
        .order_by(DigitalKey.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def children_of(session: AsyncSession, key_ids: Sequence[uuid.UUID]) -> list[DigitalKey]:
    if not key_ids:
        return []
    stmt = select(DigitalKey).where(
        DigitalKey.parent_id.in_(list(key_ids)), DigitalKey.state == KeyState.active.value
    )
    return list((await session.scalars(stmt)).all())


async def count_open(session: AsyncSession, vin: str, *, now: datetime) -> int:
    """Active keys and open invitations not yet expired of the car (what the cap counts)."""
    keys = await session.scalar(
        select(func.count())
        .select_from(DigitalKey)
        .where(DigitalKey.vin == vin, DigitalKey.state == KeyState.active.value)
    )
    invites = await session.scalar(
        select(func.count())
        .select_from(KeyInvite)
        .where(
            KeyInvite.vin == vin,
            KeyInvite.state == InviteState.open.value,
            KeyInvite.expires_at > now,
        )
    )
    return int(keys or 0) + int(invites or 0)


async def get_invite(
    session: AsyncSession, invite_id: uuid.UUID, *, for_update: bool = False
) -> KeyInvite | None:
    stmt = select(KeyInvite).where(KeyInvite.id == invite_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def invites_of_car(session: AsyncSession, vin: str) -> list[KeyInvite]:
    stmt = select(KeyInvite).where(KeyInvite.vin == vin).order_by(KeyInvite.created_at)
    return list((await session.scalars(stmt)).all())


async def invites_by_account(session: AsyncSession, account_id: uuid.UUID) -> list[KeyInvite]:
    stmt = (
        select(KeyInvite)
        .where((KeyInvite.inviter_id == account_id) | (KeyInvite.accepted_by == account_id))
        .order_by(KeyInvite.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def close_open_invites(session: AsyncSession, vin: str) -> int:
    result = await session.execute(
        update(KeyInvite)
        .where(KeyInvite.vin == vin, KeyInvite.state == InviteState.open.value)
        .values(state=InviteState.cancelled.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def get_revocation(
    session: AsyncSession, revocation_id: uuid.UUID, *, for_update: bool = False
) -> KeyRevocation | None:
    stmt = select(KeyRevocation).where(KeyRevocation.id == revocation_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def revocations_by_commands(
    session: AsyncSession, command_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, KeyRevocation]:
    """The revocations sent under any of ``command_ids``, by command id, locked (in id order)."""
    if not command_ids:
        return {}
    stmt = (
        select(KeyRevocation)
        .where(KeyRevocation.command_id.in_(list(set(command_ids))))
        .order_by(KeyRevocation.id)
        .with_for_update()
    )
    return {row.command_id: row for row in await session.scalars(stmt) if row.command_id}


async def revocations(
    session: AsyncSession, revocation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, KeyRevocation]:
    if not revocation_ids:
        return {}
    stmt = select(KeyRevocation).where(KeyRevocation.id.in_(list(set(revocation_ids))))
    return {row.id: row for row in (await session.scalars(stmt)).all()}


async def emails_of(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not account_ids:
        return {}
    stmt = select(Account.id, Account.email).where(Account.id.in_(list(set(account_ids))))
    return {row.id: row.email for row in (await session.execute(stmt)).all()}


async def revocations_of_car(
    session: AsyncSession, vin: str, *, reason: str
) -> list[KeyRevocation]:
    stmt = (
        select(KeyRevocation)
        .where(KeyRevocation.vin == vin, KeyRevocation.reason == reason)
        .order_by(KeyRevocation.requested_at)
    )
    return list((await session.scalars(stmt)).all())


async def delete_account_rows(session: AsyncSession, account_id: uuid.UUID) -> None:
    """The keys the account held and the invitations it sent or accepted (erasure)."""
    await session.execute(
        delete(KeyInvite).where(
            (KeyInvite.inviter_id == account_id) | (KeyInvite.accepted_by == account_id)
        )
    )
    await session.execute(
        update(DigitalKey)
        .where(
            DigitalKey.parent_id.in_(
                select(DigitalKey.id).where(DigitalKey.account_id == account_id)
            )
        )
        .values(parent_id=None)
    )
    await session.execute(delete(DigitalKey).where(DigitalKey.account_id == account_id))

"""The reads authentication needs: the sign-in session a token names and who it belongs to."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.models.accounts import Account, SignInSession, StaffAccount


async def get_sign_in_session(session: AsyncSession, session_id: uuid.UUID) -> SignInSession | None:
    return await session.get(SignInSession, session_id)


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffAccount | None:
    return await session.get(StaffAccount, staff_id)

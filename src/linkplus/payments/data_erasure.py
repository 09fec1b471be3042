"""Erasure (GDPR art. 17): the account's cards, at the provider (through the provider's
``forget_card``) and in the wallet, removed cards included (they still hold the provider's
token). Called by ``linkplus.rights``; docs/privacy-rights.md, "Erasure"."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.payments import repository
from linkplus.payments.service import provider
from linkplus.runtime import Runtime


async def card_tokens(session: AsyncSession, *, account_id: uuid.UUID) -> list[str]:
    return [
        card.provider_token for card in await repository.all_cards(session, account_id=account_id)
    ]


async def forget_at_provider(runtime: Runtime, tokens: list[str]) -> None:
    """Call the provider with no transaction open (as the billing run does)."""
    payments = provider(runtime)
    for token in tokens:
        await payments.forget_card(token)


async def erase_account_data(session: AsyncSession, *, account_id: uuid.UUID) -> None:
    await repository.delete_cards(session, account_id=account_id)

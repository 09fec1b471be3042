"""Helpers for the notifications tests: an owner with a token, and notifying them."""

from __future__ import annotations

from dataclasses import dataclass

from linkplus.models.accounts import Account
from linkplus.models.notifications import Category, Notification
from linkplus.notifications import service
from linkplus.runtime import Runtime
from tests.support import bearer_for, make_owner


@dataclass
class Owner:
    account: Account
    headers: dict[str, str]

    @property
    def email(self) -> str:
        return self.account.email


async def new_owner(runtime: Runtime) -> Owner:
    account = await make_owner(runtime)
    return Owner(account, await bearer_for(runtime, account))


async def notify(
    runtime: Runtime,
    who: Owner,
    *,
    category: Category = Category.vehicle_alerts,
    kind: str = "door_open",
    title: str = "Driver door open",
    body: str = "The driver door of your car has been open for 10 minutes.",
    link: str | None = None,
) -> Notification:
    async with runtime.db.transaction() as session:
        return await service.notify(
            session,
            now=runtime.clock.now(),
            account_id=who.account.id,
            category=category,
            kind=kind,
            title=title,
            body=body,
            link=link,
        )

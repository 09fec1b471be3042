"""Finding dealers and remembering each owner's preferred one.

The preferred dealer is who the app offers for service bookings and warning-light help, so the
owner does not have to look the contact details up each time.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.dealers import repository
from linkplus.dealers.directory import Dealer, DealerHit, directory
from linkplus.dealers.directory import search as search_directory
from linkplus.dealers.errors import DealerNotFound

__all__ = ["Dealer", "DealerHit", "get_dealer", "preferred", "search", "set_preferred"]

MAX_RESULTS = 100


def search(
    *,
    name: str | None = None,
    near: tuple[float, float] | None = None,
    country: str | None = None,
    limit: int = 20,
) -> list[DealerHit]:
    """Dealers whose name or city contains ``name``, in ``country``; nearest first with ``near``
    (latitude, longitude), otherwise by name."""
    return search_directory(
        list(directory().values()),
        name=name,
        near=near,
        country=country,
        limit=max(1, min(limit, MAX_RESULTS)),
    )


def get_dealer(dealer_id: str) -> Dealer | None:
    return directory().get(dealer_id)


async def set_preferred(session: AsyncSession, *, account_id: uuid.UUID, dealer_id: str) -> Dealer:
    dealer = get_dealer(dealer_id)
    if dealer is None:
        raise DealerNotFound(
            "There is no dealer with this id. Search the directory (GET /api/v1/dealers) and use "
            "the id of a dealer it lists."
        )
    await repository.set_preferred_dealer(session, account_id=account_id, dealer_id=dealer.id)
    return dealer


async def preferred(session: AsyncSession, *, account_id: uuid.UUID) -> Dealer | None:
    """The owner's preferred dealer; None if none was chosen or it has left the directory."""
    dealer_id = await repository.preferred_dealer_id(session, account_id)
    return get_dealer(dealer_id) if dealer_id is not None else None

"""Dealer directory (public) and the owner's preferred dealer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from linkplus.auth.deps import CurrentOwner
from linkplus.dealers import service
from linkplus.dealers.schemas import (
    DealerList,
    DealerOut,
    DealerQuery,
    PreferredDealerIn,
    PreferredDealerOut,
)
from linkplus.deps import SessionDep
from linkplus.errors import problem_responses

router = APIRouter(tags=["dealers"], responses=problem_responses(404))


@router.get("/dealers", response_model=DealerList)
async def list_dealers(query: Annotated[DealerQuery, Query()]) -> DealerList:
    """Public: search by name or city, by country, or nearest to a position."""
    hits = service.search(
        name=query.name, near=query.near, country=query.country, limit=query.limit
    )
    return DealerList(items=[DealerOut.of_hit(hit) for hit in hits])


@router.get("/me/preferred-dealer", response_model=PreferredDealerOut)
async def get_preferred_dealer(owner: CurrentOwner, session: SessionDep) -> PreferredDealerOut:
    dealer = await service.preferred(session, account_id=owner.id)
    return PreferredDealerOut(dealer=DealerOut.of(dealer) if dealer is not None else None)


@router.put("/me/preferred-dealer", response_model=PreferredDealerOut)
async def set_preferred_dealer(
    choice: PreferredDealerIn, owner: CurrentOwner, session: SessionDep
) -> PreferredDealerOut:
    dealer = await service.set_preferred(session, account_id=owner.id, dealer_id=choice.dealer_id)
    return PreferredDealerOut(dealer=DealerOut.of(dealer))

"""The owner's wallet under /api/v1/wallet: list, add (through the provider), primary, remove."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.payments import service
from linkplus.payments.errors import CardNotEditable
from linkplus.payments.schemas import AddCardIn, CardOut, CardSessionIn, CardSessionOut

# Card refusals (409), a card that cannot be changed (405), the provider down (502, 503).
router = APIRouter(
    prefix="/wallet", tags=["wallet"], responses=problem_responses(405, 409, 502, 503)
)


@router.get("/cards")
async def list_cards(
    account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> list[CardOut]:
    """Your cards, the primary one marked; only brand, last four digits, expiry and address."""
    return await service.list_cards(session, runtime, account)


@router.post("/cards/sessions", status_code=status.HTTP_201_CREATED)
async def start_adding_card(
    account: CurrentOwner, runtime: RuntimeDep, data: CardSessionIn | None = None
) -> CardSessionOut:
    """Step 1 of adding a card: open ``url``, the payment provider's page, where you enter the
    card and confirm it with your bank (3-D Secure). The page sends you back to ``return_url``
    with ``token``."""
    return await service.start_adding_card(runtime, account, data or CardSessionIn())


@router.post("/cards", status_code=status.HTTP_201_CREATED)
async def add_card(
    data: AddCardIn, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> CardOut:
    """Step 2: send the token from the provider's page with the billing address. Your first card
    becomes the primary card."""
    return await service.add_card(session, runtime, account, data)


@router.post("/cards/{card_id}/primary")
async def set_primary(
    card_id: uuid.UUID, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> CardOut:
    """Charge every subscription payment, on every car, to this card from now on."""
    return await service.set_primary(session, runtime, account, card_id)


@router.delete("/cards/{card_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_card(
    card_id: uuid.UUID, account: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> None:
    """Remove a card. While you have an active paid subscription, one card must stay."""
    await service.remove_card(session, runtime, account, card_id)


@router.api_route("/cards/{card_id}", methods=["PATCH", "PUT"], include_in_schema=False)
async def edit_card(card_id: uuid.UUID, account: CurrentOwner) -> None:
    """Cards cannot be edited (seed 003): add a new card instead."""
    raise CardNotEditable()

"""Load the charger a ``/chargers/{charger_id}/...`` route names, for the calling account, or
answer 404: an unknown identity, a malformed one and a charger in another account alike."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from linkplus.auth.deps import CurrentOwner
from linkplus.charging import service
from linkplus.deps import SessionDep
from linkplus.errors import raises
from linkplus.models.charging import Charger


@raises(404)
async def _caller_charger(charger_id: str, account: CurrentOwner, session: SessionDep) -> Charger:
    return await service.caller_charger(session, account, charger_id)


CallerCharger = Annotated[Charger, Depends(_caller_charger)]

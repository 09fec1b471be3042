"""Public vehicle API: the Connectivity Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from linkplus.deps import SessionDep
from linkplus.vehicles import service
from linkplus.vehicles.schemas import ConnectivityMatchOut

router = APIRouter(tags=["vehicles"])


@router.get("/connectivity-match/{vin}", response_model=ConnectivityMatchOut)
async def connectivity_match(
    vin: Annotated[str, Path(description="The 17-character VIN")],
    session: SessionDep,
) -> ConnectivityMatchOut:
    """Public, no sign-in: which connected services the car with this VIN supports."""
    return await service.connectivity_match(session, vin)

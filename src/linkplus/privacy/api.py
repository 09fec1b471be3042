"""Data Privacy Portal (``/privacy/...``) and each car's privacy mode."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Response, status

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import PrimaryVehicle
from linkplus.privacy import service
from linkplus.privacy.schemas import (
    ConsentIn,
    ConsentOut,
    DocumentOut,
    DocumentStateOut,
    PrivacyModeChangeOut,
    PrivacyModeIn,
    PrivacyModeOut,
)

router = APIRouter(tags=["privacy"], responses=problem_responses(400, 409))


@router.get("/privacy/documents")
async def list_documents(owner: CurrentOwner, session: SessionDep) -> list[DocumentStateOut]:
    """The Terms of Use and Privacy Notice for your market, and what you have accepted."""
    return await service.documents_for(session, owner)


@router.get("/privacy/documents/{document}")
async def read_document(document: str, owner: CurrentOwner) -> DocumentOut:
    return service.document_for(owner, document)


@router.get("/privacy/consents")
async def list_consents(owner: CurrentOwner, session: SessionDep) -> list[ConsentOut]:
    """Every acceptance, newest first, with when it was withdrawn."""
    return await service.consent_history(session, owner)


@router.post("/privacy/consents", status_code=status.HTTP_201_CREATED)
async def accept_document(
    data: ConsentIn, owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> list[DocumentStateOut]:
    return await service.record_consent(session, runtime, owner, data)


@router.delete("/privacy/consents/{document}", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_consent(
    document: str, owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Withdraw at any time. Withdrawing the Terms of Use stops connected services on all cars."""
    await service.withdraw(session, runtime, owner, document=document)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/vehicles/{vin}/privacy-mode")
async def get_privacy_mode(car: PrimaryVehicle, session: SessionDep) -> PrivacyModeOut:
    return await service.privacy_mode(session, vin=car.vehicle.vin, spans=car.tenure.spans)


@router.put("/vehicles/{vin}/privacy-mode")
async def put_privacy_mode(
    data: PrivacyModeIn, car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> PrivacyModeOut:
    """Switch location sharing; ``location_sharing: false`` turns privacy mode on."""
    return await service.change_privacy_mode(
        session, runtime, vin=car.vehicle.vin, account_id=car.account.id, data=data
    )


@router.get("/vehicles/{vin}/privacy-mode/history")
async def privacy_mode_history(
    car: PrimaryVehicle,
    session: SessionDep,
    before: datetime | None = None,
    limit: int = Query(default=service.HISTORY_PAGE, ge=1, le=service.HISTORY_PAGE),
) -> list[PrivacyModeChangeOut]:
    return await service.privacy_mode_history(
        session, vin=car.vehicle.vin, spans=car.tenure.spans, before=before, limit=limit
    )
